"""Erasure: nothing that says who the person is, where they live or what they wrote is left in any
row or file, while the cases, dates, statuses, promise outcomes and flags stay countable."""

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from cases import policies
from cases.models import Case, Flag, Message, Promise, TimelineEvent
from cases.services.privacy import ERASED, customer_erase
from contractors.models import JobPhoto
from correspondence.models import InboundEmail
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.factories import PASSWORD
from tests.privacy.conftest import NAME, SECRETS, WRITTEN

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def _personal_details_left() -> list[str]:
    """Every (model, field, row) of the whole database holding one of Jeanne's details."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not fields:
            continue
        for row in model._base_manager.values("pk", *[f.attname for f in fields]):
            for name, value in row.items():
                text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                for secret in SECRETS:
                    if secret.casefold() in (text or "").casefold():
                        found.append(f"{model._meta.label}.{name} #{row['pk']}: {secret}")
    return found


def _statistics(customer: Customer) -> dict[str, object]:
    cases = Case.objects.filter(customer=customer).order_by("pk")
    return {
        "cases": list(cases.values_list("pk", "status", "created_at", "closed_at", "close_reason", "priority")),
        "promises": list(Promise.objects.filter(case__in=cases).order_by("pk").values_list("status", "due_at")),
        "flags": list(Flag.objects.filter(case__in=cases).order_by("pk").values_list("kind", "level", "raised_at")),
        "messages": list(Message.objects.filter(case__in=cases).order_by("pk").values_list("direction", "created_at")),
        "survey": list(cases.filter(survey__isnull=False).values_list("survey__score", flat=True)),
        "service_area": Customer.objects.get(pk=customer.pk).service_area,
    }


def _stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_the_test_data_holds_every_detail_before_the_erasure(story) -> None:
    found = "\n".join(_personal_details_left())
    assert all(secret in found for secret in SECRETS)


def test_erasure_leaves_no_personal_detail_in_any_row_and_deletes_the_files(story, administrator) -> None:
    case_ids = [story.open_case.pk, story.closed_case.pk]
    files = {a.file.name for m in Message.objects.filter(case_id__in=case_ids) for a in m.attachments.all()}
    files |= {p.file.name for p in JobPhoto.objects.filter(job__case_id__in=case_ids)}
    files |= {e.raw.name for e in InboundEmail.objects.all()}
    assert files and files <= _stored_files()

    erased = customer_erase(actor=administrator, customer=story.customer, force=True)

    assert _personal_details_left() == []
    assert files & _stored_files() == set()
    assert erased.full_name == f"{ERASED} #{erased.pk}" and erased.erased_at is not None
    for name in ("email", "phone", "address", "postcode", "vulnerability_notes", "access_notes"):
        assert getattr(erased, name) == "", name
    inbound = Message.objects.filter(case__in=case_ids, direction="inbound")
    assert inbound.exists() and set(inbound.values_list("body", flat=True)) == {ERASED}
    # Staff's own words stay, the person taken out of them.
    note = Message.objects.get(case=story.open_case, is_internal=True)
    assert note.body.startswith(f"{ERASED} ({ERASED}) prefers mornings")


def test_erasure_keeps_the_case_statistics_and_says_who_erased(story, administrator) -> None:
    before = _statistics(story.customer)
    events = {pk: TimelineEvent.objects.filter(case_id=pk).count() for pk, *_ in before["cases"]}
    customer_erase(actor=administrator, customer=story.customer, force=True)
    assert _statistics(story.customer) == before
    for pk, count in events.items():
        assert TimelineEvent.objects.filter(case_id=pk).count() == count + 1
        audit = TimelineEvent.objects.get(case_id=pk, kind=TimelineEvent.Kind.PRIVACY)
        assert audit.summary == "The customer's personal data was erased on request by admin."
        assert audit.actor == administrator


def test_the_sign_in_is_switched_off_for_good_and_helpers_lose_access(story, cast, administrator) -> None:
    user = story.customer.user
    assert user.check_password(PASSWORD)
    customer_erase(actor=administrator, customer=story.customer, force=True)
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert user.username == f"erased-{user.pk}" and user.email == "" and user.get_full_name() == ""
    assert not user.check_password(PASSWORD)
    assert not policies.can_view_case(cast.delegate, story.open_case)
    assert not story.customer.delegates.filter(revoked_at__isnull=True).exists()


def test_an_open_case_refuses_the_erasure_unless_forced(story, administrator) -> None:
    with pytest.raises(RuleViolation, match=story.open_case.reference) as refusal:
        customer_erase(actor=administrator, customer=story.customer)
    assert refusal.value.field == "force"
    customer = Customer.objects.get(pk=story.customer.pk)
    assert customer.full_name == NAME and customer.erased_at is None
    assert Message.objects.filter(body__contains=WRITTEN).exists()
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.PRIVACY).exists()


def test_erasing_twice_changes_nothing_more(story, administrator) -> None:
    first = customer_erase(actor=administrator, customer=story.customer, force=True)
    events = TimelineEvent.objects.count()
    versions = Customer.history.filter(id=first.pk).count()
    second = customer_erase(actor=administrator, customer=story.customer, force=True)
    assert (second.full_name, second.erased_at) == (first.full_name, first.erased_at)
    assert TimelineEvent.objects.count() == events
    assert Customer.history.filter(id=first.pk).count() == versions


def test_staff_without_the_permission_cannot_erase(story, cast) -> None:
    with pytest.raises(NotAllowed):
        customer_erase(actor=cast.manager, customer=story.customer, force=True)
    assert Customer.objects.get(pk=story.customer.pk).full_name == NAME


def test_a_text_made_longer_by_the_marker_still_fits_its_column(cast, administrator) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cases.services import promise_make

    text = ("Martin " * 42).strip()  # 293 characters; "[erased]" is longer than "Martin"
    promise = promise_make(actor=cast.owner, case=cast.case, text=text, due_at=timezone.now() + timedelta(days=1))
    customer_erase(actor=administrator, customer=cast.customer, force=True)
    promise.refresh_from_db()
    assert (
        promise.text.startswith(f"{ERASED} {ERASED}")
        and len(promise.text) == Promise._meta.get_field("text").max_length
    )
