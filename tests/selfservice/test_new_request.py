"""A new request for something else opens a case with an owner from the first minute; what
the customer wrote is its first message, so the reply clock starts at once."""

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import Case, Message
from tests.cases.dbstate import nothing_written
from tests.cases.steps import EXECUTABLE, PNG
from tests.conftest import Cast
from tests.factories import DepartmentFactory, ServiceFactory, make_staff
from tests.selfservice.conftest import signed_in
from tests.selfservice.pages import assert_field_error, html, my_url, text

NEW = "/my/new/"


def _ask(client: Client, customer_pk: int, **fields: object):
    data = {"customer": str(customer_pk), "subject": "TV has no picture", "details": "Since this morning, no TV."}
    data.update(fields)
    return client.post(NEW, data)


def test_the_page_is_where_the_menu_points() -> None:
    assert reverse("my:new_request") == NEW


def test_a_new_request_opens_a_case_owned_by_the_latest_owner(cast: Cast, customer_client: Client) -> None:
    response = _ask(customer_client, cast.customer.pk)
    case = Case.objects.get(subject="TV has no picture")
    assert response["Location"] == my_url(case)
    assert case.customer == cast.customer
    assert case.owner == cast.owner  # the owner of her latest case keeps her
    message = case.messages.get()
    assert (message.direction, message.channel, message.body) == ("inbound", "portal", "Since this morning, no TV.")
    assert case.reply_due_at is not None
    page = text(customer_client.get(response["Location"]))
    assert f"Your request is open as case {case.reference}. Olivia Owner looks after it" in page


def test_a_first_request_goes_to_customer_relations(cast: Cast, other_customer) -> None:
    newcomer_user = User.objects.create_user("newcomer", "new@example.test", "pw-newcomer-1")
    from people.models import Customer

    newcomer = Customer.objects.create(user=newcomer_user, full_name="Nina Newcomer")
    _ask(signed_in(newcomer_user), newcomer.pk)
    case = Case.objects.get(customer=newcomer)
    assert case.owner.staff_profile.department.code == "customer-relations"


def test_a_first_request_goes_where_the_operator_routes_new_requests(cast: Cast) -> None:
    from people.models import Customer, Routing

    support_agent = make_staff("support_agent", department=DepartmentFactory(code="support"))
    Routing.objects.filter(purpose=Routing.Purpose.REQUESTS).update(department=support_agent.staff_profile.department)
    newcomer_user = User.objects.create_user("newcomer", "new@example.test", "pw-newcomer-1")
    newcomer = Customer.objects.create(user=newcomer_user, full_name="Nina Newcomer")
    _ask(signed_in(newcomer_user), newcomer.pk)
    assert Case.objects.get(customer=newcomer).owner == support_agent


def test_a_service_of_the_customer_can_be_chosen(cast: Cast, customer_client: Client) -> None:
    tv = ServiceFactory(code="tv")
    cast.customer.services.add(tv)
    assert "Tv" in text(customer_client.get(NEW))
    _ask(customer_client, cast.customer.pk, service=str(tv.pk))
    assert Case.objects.get(subject="TV has no picture").service == tv


def test_a_service_the_customer_does_not_hold_is_refused(cast: Cast, customer_client: Client) -> None:
    other = ServiceFactory(code="mobile")
    with nothing_written():
        response = _ask(customer_client, cast.customer.pk, service=str(other.pk))
    assert_field_error(response, "id_service", "Choose one of the services in the list.")


def test_a_delegate_for_all_cases_opens_it_on_behalf(cast: Cast, delegate_client: Client) -> None:
    _ask(delegate_client, cast.customer.pk)
    message = Message.objects.get(case__subject="TV has no picture")
    assert message.author_label == "Paul Martin, on behalf of Jeanne Martin"


def test_a_delegate_for_one_case_is_told_to_ask_the_customer(cast: Cast, carer: User) -> None:
    client = signed_in(carer)
    assert "a new request must come from them" in text(client.get(NEW))
    with nothing_written():
        response = _ask(client, cast.customer.pk)
    assert response.status_code == 403


def test_nobody_opens_a_request_for_another_customer(cast: Cast, other_client: Client) -> None:
    with nothing_written():
        response = _ask(other_client, cast.customer.pk)
    assert response.status_code == 400
    assert "Choose one of the people in the list." in text(response)


def test_empty_fields_say_what_to_write(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _ask(customer_client, cast.customer.pk, subject="", details="")
    assert response.status_code == 400
    assert_field_error(response, "id_subject", "Write in a few words what your request is about.")
    assert_field_error(response, "id_details", "Tell us more about your request.")


def test_blank_details_are_refused_by_the_service(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _ask(customer_client, cast.customer.pk, details="   ")
    assert_field_error(response, "id_details", "Write your request.")


def test_a_refused_file_keeps_what_was_typed_and_opens_nothing(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _ask(customer_client, cast.customer.pk, attachments=[SimpleUploadedFile("tv.png", EXECUTABLE)])
    assert response.status_code == 400
    assert 'value="TV has no picture"' in html(response)
    assert "Since this morning, no TV.</textarea>" in html(response)
    assert_field_error(response, "id_attachments", "“tv.png” is not a file type we accept.")


def test_a_photo_comes_with_the_first_message(cast: Cast, customer_client: Client) -> None:
    _ask(customer_client, cast.customer.pk, attachments=[SimpleUploadedFile("tv.png", PNG)])
    assert Message.objects.get(case__subject="TV has no picture").attachments.get().original_name == "tv.png"


def test_the_only_customer_is_chosen_without_asking(cast: Cast, customer_client: Client) -> None:
    page = html(customer_client.get(NEW))
    assert f'<input type="hidden" name="customer" value="{cast.customer.pk}"' in page
    assert "Who is it for?" not in text(customer_client.get(NEW))


def test_someone_who_is_customer_and_helper_chooses_for_whom(cast: Cast, delegate: User) -> None:
    from people.models import Customer

    Customer.objects.create(user=delegate, full_name="Paul Martin")
    page = text(signed_in(delegate).get(NEW))
    assert "Who is it for?" in page
    assert "Jeanne Martin" in page and "Paul Martin" in page


def test_staff_are_never_offered_this_page(cast: Cast) -> None:
    assert signed_in(make_staff("someone")).get(NEW).status_code == 404
