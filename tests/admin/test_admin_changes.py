"""What the admin may change, and that every change goes through the service that owns it."""

from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from cases import policies
from cases.models import Case, CaseGroupObjectPermission, Flag, ServiceAlert, TimelineEvent
from contractors.models import ContractorCompany, ContractorUser
from people.models import Delegate
from tests.admin.formdata import post_change
from tests.factories import ServiceFactory, UserFactory, make_staff


def _url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- cases ---------------------------------------------------------------------------------------


def test_editing_a_case_never_changes_its_owner(admin_client_for: Client, cast) -> None:
    url = _url(Case, "change", cast.case.pk)
    response = post_change(admin_client_for, url, owner=str(cast.other_agent.pk), subject="Something else")
    assert response.status_code == 302
    cast.case.refresh_from_db()
    assert cast.case.owner == cast.owner
    assert cast.case.subject == "Fibre installation"


def test_status_moves_through_case_set_status_onto_the_timeline(admin_client_for: Client, cast) -> None:
    response = post_change(admin_client_for, _url(Case, "change", cast.case.pk), status="waiting_contractor")
    assert response.status_code == 302
    cast.case.refresh_from_db()
    assert cast.case.status == Case.Status.WAITING_CONTRACTOR
    event = cast.case.timeline.get(kind=TimelineEvent.Kind.STATUS_CHANGED)
    assert event.actor == cast.administrator


def test_adding_a_case_opens_it_through_case_open(admin_client_for: Client, cast) -> None:
    response = admin_client_for.post(
        _url(Case, "add"),
        {
            "customer": cast.customer.pk,
            "subject": "Water damage after the fibre visit",
            "owner": cast.other_agent.pk,
            "priority": "urgent",
            "service": "",
            "human_impact": "No heating",
            "description": "",
        },
    )
    assert response.status_code == 302
    opened = Case.objects.get(subject="Water damage after the fibre visit")
    assert opened.reference.startswith("CS-")
    assert (opened.owner, opened.created_by) == (cast.other_agent, cast.administrator)
    assert opened.timeline.filter(kind=TimelineEvent.Kind.CASE_OPENED).count() == 1


def test_a_case_cannot_be_deleted(admin_client_for: Client, cast) -> None:
    assert admin_client_for.get(_url(Case, "delete", cast.case.pk)).status_code == 403
    assert admin_client_for.post(_url(Case, "delete", cast.case.pk), {"post": "yes"}).status_code == 403
    action_form = admin_client_for.get(_url(Case, "changelist")).context["action_form"]
    actions = action_form.fields["action"].choices if action_form is not None else []
    assert "delete_selected" not in {name for name, _label in actions}
    assert Case.objects.filter(pk=cast.case.pk).exists()


def test_timeline_events_cannot_be_changed_or_deleted(admin_client_for: Client, cast) -> None:
    event = cast.case.timeline.first()
    assert admin_client_for.post(_url(TimelineEvent, "change", event.pk), {"summary": "Edited"}).status_code == 403
    assert admin_client_for.post(_url(TimelineEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.summary.startswith("Case opened")


# --- staff accounts ------------------------------------------------------------------------------


def test_deactivate_action_refuses_an_owner_of_open_cases_and_deactivates_the_others(
    admin_client_for: Client,
    cast,
) -> None:
    leaver = make_staff("leaver", first_name="Luc", last_name="Leaver")
    response = admin_client_for.post(
        _url(User, "changelist"),
        {"action": "deactivate_staff", "_selected_action": [cast.owner.pk, leaver.pk]},
        follow=True,
    )
    said = _messages(response)
    assert any(cast.case.reference in message and "owner" in message for message in said), said
    assert "Deactivated: leaver." in said
    cast.owner.refresh_from_db()
    leaver.refresh_from_db()
    assert cast.owner.is_active
    assert not leaver.is_active


def test_unticking_active_on_an_owner_is_refused_and_nothing_of_the_form_is_saved(
    admin_client_for: Client,
    cast,
) -> None:
    response = post_change(admin_client_for, _url(User, "change", cast.owner.pk), is_active=None, first_name="Liv")
    assert response.status_code == 200
    assert "still owns open cases" in response.content.decode()
    cast.owner.refresh_from_db()
    assert cast.owner.is_active
    assert cast.owner.first_name == "Olivia"


def test_unticking_active_on_someone_without_cases_deactivates_them(admin_client_for: Client, cast) -> None:
    leaver = make_staff("leaver")
    response = post_change(admin_client_for, _url(User, "change", leaver.pk), is_active=None)
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active


# --- flags ---------------------------------------------------------------------------------------


def test_acknowledge_action_acknowledges_through_the_service(admin_client_for: Client, records) -> None:
    response = admin_client_for.post(
        _url(Flag, "changelist"), {"action": "acknowledge", "_selected_action": [records.flag.pk]}, follow=True
    )
    records.flag.refresh_from_db()
    assert records.flag.acknowledged_by.username == "admin"
    assert records.flag.case.timeline.filter(kind=TimelineEvent.Kind.FLAG_ACKNOWLEDGED).exists()
    assert f"Acknowledged: {records.flag.summary}." in _messages(response)


def test_acknowledging_a_cleared_flag_is_reported_not_skipped(admin_client_for: Client, records) -> None:
    Flag.objects.filter(pk=records.flag.pk).update(cleared_at=records.flag.raised_at)
    response = admin_client_for.post(
        _url(Flag, "changelist"), {"action": "acknowledge", "_selected_action": [records.flag.pk]}, follow=True
    )
    assert f"{records.flag.summary}: This flag has already been cleared." in _messages(response)


# --- object permissions: specialists and delegates -----------------------------------------------


def test_case_permissions_page_adds_a_specialist_through_the_service(admin_client_for: Client, cast) -> None:
    assert admin_client_for.get(_url(Case, "permissions", cast.case.pk)).status_code == 200
    url = _url(Case, "permissions_manage_user", cast.case.pk, cast.head.pk)
    form = admin_client_for.get(url).context["form"]
    assert {code for code, _name in form.fields["permissions"].choices} == {"act_for_customer", "work_on_case"}
    response = admin_client_for.post(url, {"permissions": ["work_on_case"]})
    assert response.status_code == 302
    assert policies.is_specialist(cast.head, cast.case)
    assert cast.case.timeline.filter(kind=TimelineEvent.Kind.ACCESS, summary__contains="specialist").exists()
    admin_client_for.post(url, {"relationship": ""})  # what the browser sends with nothing selected
    assert not policies.is_specialist(cast.head, cast.case)


def test_customer_permissions_page_makes_a_delegate_with_a_relationship(admin_client_for: Client, cast) -> None:
    carer = UserFactory(username="carer")
    url = _url(cast.customer.__class__, "permissions_manage_user", cast.customer.pk, carer.pk)
    refused = admin_client_for.post(url, {"permissions": ["act_for_customer"]}, follow=True)
    assert not Delegate.objects.filter(user=carer).exists()
    assert any("related" in message for message in _messages(refused)), _messages(refused)
    admin_client_for.post(url, {"permissions": ["act_for_customer"], "relationship": "carer"})
    assert Delegate.objects.get(user=carer, customer=cast.customer).relationship == "carer"
    assert policies.can_view_case(carer, cast.case)
    admin_client_for.post(url, {"relationship": ""})  # nothing selected: the delegation ends
    assert Delegate.objects.get(user=carer, customer=cast.customer).revoked_at is not None
    assert not policies.can_view_case(carer, cast.case)


def test_group_grants_are_not_offered_on_cases(admin_client_for: Client, cast) -> None:
    crew = Group.objects.create(name="Night crew")
    url = _url(Case, "permissions_manage_group", cast.case.pk, crew.pk)
    response = admin_client_for.post(url, {"permissions": ["work_on_case"]}, follow=True)
    assert "shared with people, not with groups" in " ".join(_messages(response))
    assert not CaseGroupObjectPermission.objects.filter(group=crew).exists()


def test_delegate_added_for_one_case_and_revoked_in_the_admin(admin_client_for: Client, cast) -> None:
    social_worker = UserFactory(username="social_worker")
    response = admin_client_for.post(
        _url(Delegate, "add"),
        {
            "user": social_worker.pk,
            "customer": cast.customer.pk,
            "relationship": "social worker",
            "cases": cast.case.reference,
        },
    )
    assert response.status_code == 302
    delegation = Delegate.objects.get(user=social_worker)
    assert not delegation.all_cases
    assert policies.can_view_case(social_worker, cast.case)
    admin_client_for.post(_url(Delegate, "changelist"), {"action": "revoke", "_selected_action": [delegation.pk]})
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert not policies.can_view_case(social_worker, cast.case)


# --- set-up records created through their services -----------------------------------------------


def test_service_alert_is_posted_and_changed_through_the_services(admin_client_for: Client, cast) -> None:
    response = admin_client_for.post(
        _url(ServiceAlert, "add"),
        {
            "service": ServiceFactory(code="mail").pk,
            "kind": "maintenance",
            "title": "Mail server move",
            "description": "",
            "area": "69003",
            "starts_at_0": "2026-05-01",
            "starts_at_1": "08:00:00",
            "ends_at_0": "",
            "ends_at_1": "",
        },
    )
    assert response.status_code == 302
    alert = ServiceAlert.objects.get(title="Mail server move")
    assert alert.posted_by == cast.administrator
    response = post_change(admin_client_for, _url(ServiceAlert, "change", alert.pk), title="Mail server migration")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.title, alert.posted_by) == ("Mail server migration", cast.administrator)


def test_contractor_company_and_user_are_created_with_their_group(admin_client_for: Client, db) -> None:
    response = admin_client_for.post(_url(ContractorCompany, "add"), {"name": "PlumbFix", "phone": "", "email": ""})
    assert response.status_code == 302, response.context["adminform"].form.errors
    company = ContractorCompany.objects.get(name="PlumbFix")
    assert company.group is not None
    plumber = UserFactory(username="plumber")
    response = admin_client_for.post(
        _url(ContractorUser, "add"), {"user": plumber.pk, "company": company.pk, "phone": "+33 4 00 00 00 00"}
    )
    assert response.status_code == 302
    assert plumber.contractor_profile.company == company
    assert plumber.groups.filter(pk=company.group_id).exists()
