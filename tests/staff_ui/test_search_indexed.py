"""Search through indexes (issue 14): words by their start whatever the accents and case, phone
numbers however they are spelled, references and claim numbers by their start; only what the
user may see; a query count that does not grow with the results; and no plan that reads a
whole table, on SQLite (FTS5) and PostgreSQL (GIN) alike."""

import pytest
from django.db import connection
from django.urls import reverse

from cases import selectors
from cases.models import Case
from cases.services import claim_file
from people.models import Customer
from people.phones import phone_search_key, phone_search_prefixes
from portal import fulltext
from tests.conftest import Cast
from tests.factories import CustomerFactory, make_case
from tests.query_plans import plan_of, scans_whole
from tests.staff_ui.pages import text

SEARCH = reverse("staff:search")


def found_customers(cast: Cast, term: str) -> list[str]:
    return [c.full_name for c in selectors.search_for(cast.owner, term).customers.items]


def found_cases(user, term: str) -> list[str]:
    return [c.reference for c in selectors.search_for(user, term).cases.items]


@pytest.fixture
def gerard(cast: Cast) -> Customer:
    customer = CustomerFactory(full_name="Gérard Dupont-Lefèvre", email="g.dupont@example.test", phone="")
    make_case(customer=customer, owner=cast.owner, subject="Chauffage coupé après l'intervention")
    return customer


# --- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["Gerard", "gérard", "GERARD", "Dup", "lefevre", "gerard dup", "dupont gér"])
def test_names_match_by_the_start_of_each_word_whatever_the_accents_and_case(cast, gerard, term) -> None:
    assert found_customers(cast, term) == ["Gérard Dupont-Lefèvre"]


@pytest.mark.parametrize("term", ["erard", "pont", "gerard zola"])
def test_a_word_must_start_as_typed_and_every_word_must_match(cast, gerard, term) -> None:
    assert found_customers(cast, term) == []


def test_subjects_match_by_word_start_whatever_the_accents(cast, gerard) -> None:
    case = Case.objects.get(customer=gerard)
    assert found_cases(cast.owner, "coupe interv") == [case.reference]


def test_the_word_indexes_follow_every_write(cast, gerard) -> None:
    gerard.full_name = "Gérard Martineau"
    gerard.save()
    assert found_customers(cast, "martineau") == ["Gérard Martineau"]
    assert found_customers(cast, "lefevre") == []
    # Even a write that bypasses save() (the index is kept by the database itself).
    Customer.objects.filter(pk=gerard.pk).update(full_name="Gérard Zola")
    assert found_customers(cast, "zola") == ["Gérard Zola"]
    assert found_customers(cast, "martineau") == []


# --- phone numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ("+33 6 12 34 56 78", "0612345678"),
        ("0033 (0)6 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("+44 20 7946 0000", "442079460000"),
        ("", ""),
    ],
)
def test_a_french_number_is_stored_in_its_national_spelling(stored, key) -> None:
    assert phone_search_key(stored) == key


def test_a_number_typed_without_its_zero_also_tries_the_french_one() -> None:
    assert phone_search_prefixes("6 12 34") == ["61234", "061234"]
    assert phone_search_prefixes("+44 20") == ["4420"]


@pytest.mark.parametrize("stored", ["+33 6 12 34 56 78", "06 12 34 56 78", "0033 6-12-34-56-78"])
@pytest.mark.parametrize(
    "typed", ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "+33612", "0033 6 12 34", "6 12 34 56", "06.12.34"]
)
def test_every_spelling_of_a_number_finds_the_customer(cast, stored, typed) -> None:
    customer = CustomerFactory(full_name="Ana Phone", phone=stored)
    make_case(customer=customer, owner=cast.owner)
    assert found_customers(cast, typed) == ["Ana Phone"]


def test_the_phone_key_follows_a_partial_save(cast) -> None:
    customer = cast.customer
    customer.phone = "+33 7 11 22 33 44"
    customer.save(update_fields=["phone"])
    customer.refresh_from_db()
    assert customer.phone_digits == "0711223344"
    assert found_customers(cast, "07 11 22") == [customer.full_name]


def test_another_number_is_not_found(cast) -> None:
    make_case(customer=CustomerFactory(full_name="Ana Phone", phone="+33 6 12 34 56 78"), owner=cast.owner)
    assert found_customers(cast, "06 12 99") == []


# --- references and claim numbers ----------------------------------------------------------------


def test_claim_numbers_match_by_their_start_in_any_case(cast) -> None:
    claim_file(actor=cast.owner, case=cast.case, insurer="Axa", policy_holder="customer", claim_number="AXA-99812")
    assert found_cases(cast.owner, "axa-99") == [cast.case.reference]
    assert found_cases(cast.owner, "99812") == []  # the start, not the middle


def test_references_match_by_their_start_in_any_case(cast) -> None:
    assert found_cases(cast.owner, cast.case.reference.lower()) == [cast.case.reference]
    assert set(found_cases(cast.owner, cast.case.reference[:-1].lower())) >= {cast.case.reference}


def test_nothing_found_is_an_empty_page(owner_client, cast) -> None:
    page = text(owner_client.get(SEARCH, {"q": "Zzyzx Qwerty"}))
    assert "No case reference, subject, claim number or job id matches." in page
    assert "No customer's name, e-mail or phone number matches." in page


# --- who finds what ------------------------------------------------------------------------------


def test_a_customer_finds_only_what_they_may_see(cast) -> None:
    jeanne = cast.customer.user
    assert found_cases(jeanne, cast.case.reference) == [cast.case.reference]
    assert found_cases(jeanne, cast.other_case.reference) == []
    assert [c.full_name for c in selectors.search_for(jeanne, "Omar").customers.items] == []
    assert [c.full_name for c in selectors.search_for(jeanne, "Jeanne").customers.items] == ["Jeanne Martin"]


def test_a_delegate_finds_the_case_they_help_with_and_no_other(cast) -> None:
    assert found_cases(cast.delegate, cast.case.reference) == [cast.case.reference]
    assert found_cases(cast.delegate, cast.other_case.reference) == []


def test_a_contractor_finds_no_case_even_by_its_job(cast) -> None:
    assert found_cases(cast.contractor_user, f"J-{cast.job.pk}") == []
    assert found_cases(cast.contractor_user, cast.case.reference) == []


def test_a_customer_without_cases_is_not_listed(cast) -> None:
    CustomerFactory(full_name="Nobody Caseless")
    assert found_customers(cast, "caseless") == []


# --- cost ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["dupont", "06 12 34", "axa-9", "CS-2026"])
def test_the_page_costs_the_same_few_queries_for_many_results(
    owner_client, cast, term, django_assert_max_num_queries
) -> None:
    for n in range(12):
        member = CustomerFactory(full_name=f"Dupont {n}", phone=f"06 12 34 {n:02d} 00")
        for _ in range(2):
            case = make_case(customer=member, owner=cast.owner, subject=f"Dupont router {n}")
            claim_file(actor=cast.owner, case=case, insurer="Axa", policy_holder="customer", claim_number=f"AXA-9{n}")
    with django_assert_max_num_queries(8):
        response = owner_client.get(SEARCH, {"q": term})
    assert response.status_code == 200


# The hot queries' plans: a lookup in an index for each way a term can match, never a scan
# of the cases, customers or claims. (SQLite names a table by its alias in a subquery, "U0":
# any SCAN other than of an FTS5 table is refused there.)
TABLES = ("cases_case", "people_customer", "cases_insuranceclaim")


def reads_a_whole_table(plan: str) -> bool:
    if any(scans_whole(plan, table) for table in TABLES):
        return True
    if connection.vendor == "sqlite":
        scans = [line for line in plan.splitlines() if " SCAN " in f" {line.strip('|-` ')}"]
        return any("VIRTUAL TABLE" not in line for line in scans)
    return False


@pytest.mark.parametrize("term", ["gérard dup", "06 12 34 56 78", "+33 6 12", "axa-998", "cs-2026-0000", "J-12"])
def test_no_search_reads_a_whole_table(cast, gerard, term) -> None:
    cases = selectors.search_cases(cast.owner, term)
    plan = plan_of(cases.order_by(*selectors.SEARCH_CASE_ORDER.order_by())[:21])
    assert not reads_a_whole_table(plan), plan
    customers = selectors.search_customers(cast.owner, term)
    assert customers is not None
    plan = plan_of(customers.order_by(*selectors.SEARCH_CUSTOMER_ORDER.order_by())[:21])
    assert not reads_a_whole_table(plan), plan


def test_a_customer_users_search_reads_no_whole_table_either(cast, gerard) -> None:
    plan = plan_of(selectors.search_cases(cast.customer.user, "chauffage")[:21])
    assert not reads_a_whole_table(plan), plan


def test_search_indexes_lost_to_a_table_rebuild_come_back_after_migrate(cast, gerard) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps indexes through every ALTER TABLE")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER people_customer_words_au")
        cursor.execute("DROP INDEX cases_claim_number_prefix")
    Customer.objects.filter(pk=gerard.pk).update(full_name="Gérard Missed")  # the FTS table misses it
    assert set(fulltext.reinstall_lost(connection)) == {"people_customer_words", "cases_claim_number_prefix"}
    assert found_customers(cast, "missed") == ["Gérard Missed"]
    assert fulltext.reinstall_lost(connection) == []
