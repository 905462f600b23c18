"""The fibre story of DESIGN.md section 1, from an empty database, through real pages only.

A sales advisor takes Mrs Martin's call on the intake page, records the sale and requests the
FibreCo job with the street-cabinet prerequisite on the case page. FibreCo's technician cancels
twice because the street connection is missing; the job watcher (the Celery task, called
directly) runs; the owner sees the flag, marks the prerequisite done and books the visit again;
the technician completes the job; the owner replies, keeps her promise and resolves; Mrs Martin
confirms on her self-service page and the case closes.

Only the people exist at the start (factories, not the demo loader). The owner invites Mrs
Martin to the self-service pages from the case page; she chooses her password from the link in
the e-mail she gets (read from Django's test outbox) and signs in. axe-core runs on the intake
and case pages, and their desktop and phone screenshots go to docs/screenshots/.
"""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from cases.models import Case, Flag, Promise
from cases.tasks import run_watcher
from contractors.models import Job
from people.models import Customer, StaffProfile
from tests.factories import (
    PASSWORD,
    CompanyFactory,
    DepartmentFactory,
    ServiceFactory,
    make_contractor_user,
    make_staff,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

SUBJECT = "Fibre broadband installation"
PRODUCT = "Fibre 1 Gb/s with landline"
JOB_TITLE = "Install the fibre socket and connect the router"
STREET_CABINET = "Connect the street cabinet to the fibre network"
FIRST_NO_SHOW = "No fibre at the street cabinet: the network team has not made the connection."
SECOND_NO_SHOW = "Street cabinet still not connected, same as last time."
REPLY = "Dear Mrs Martin, the street connection is done and FibreCo comes today between now and four hours."
CALLBACK = "Call Mrs Martin after the visit to check the fibre and the landline work"
CALL_TASK = "Call Jeanne Martin to tell them"
JEANNE_PASSWORD = "Fibre-and-landline-2026"
RESOLUTION = (
    "Street cabinet connected by our network team; FibreCo fitted the fibre socket and connected the router; "
    "internet and landline tested with you on the phone."
)


@pytest.fixture
def people(transactional_db) -> dict[str, object]:
    """Departments, staff, FibreCo and its technician, and the services sold: nothing else."""
    sales = DepartmentFactory(code="sales", name="Sales")
    isabelle = make_staff(
        "isabelle", department=sales, role=StaffProfile.Role.MANAGER, first_name="Isabelle", last_name="Roux"
    )
    sales.head = isabelle
    sales.save(update_fields=["head"])
    samir = make_staff("samir", department=sales, manager=isabelle, first_name="Samir", last_name="Haddad")
    StaffProfile.objects.filter(user=samir).update(job_title="Sales advisor")
    relations = DepartmentFactory(code="customer-relations", name="Customer relations")
    make_staff("claire", department=relations, first_name="Claire", last_name="Fontaine")
    fibreco = CompanyFactory(name="FibreCo Installations", phone="+33 4 78 90 12 34")
    thierry = make_contractor_user(fibreco, "thierry")
    User.objects.filter(pk=thierry.pk).update(first_name="Thierry", last_name="Bonnet")
    ServiceFactory(code="fibre", name="Fibre broadband")
    ServiceFactory(code="landline", name="Landline")
    return {"samir": samir, "thierry": thierry, "fibreco": fibreco}


def sign_in(page, username: str, lands_on: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{lands_on}")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def notice(page) -> str:
    return page.locator(".notices").inner_text()


def visit_window_today() -> tuple[str, str]:
    """A window that started a few minutes ago (or at midnight) and lasts four hours: the visit
    is on today's list, and the technician needs no reason to start it early."""
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now.replace(second=0, microsecond=0) - timedelta(minutes=5), midnight)
    return local_input(start), local_input(start + timedelta(hours=4))


def local_input(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def assert_no_axe_violation(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    found = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in violations]
    assert not found, f"{name}: " + json.dumps(found, ensure_ascii=False)


def screenshots(page, name: str) -> None:
    """Desktop and phone, full page; the viewport goes back to desktop for the next steps."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


# --- the salesperson -----------------------------------------------------------------------


def open_the_case_at_intake(page) -> str:
    page.get_by_role("link", name="New case").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "New case"
    page.get_by_label("New customer", exact=True).check()
    page.get_by_label("Full name").fill("Jeanne Martin")
    page.get_by_label("Phone").fill("+33 4 78 25 14 07")
    page.get_by_label("E-mail").fill("jeanne.martin@example.org")
    page.get_by_label("Address").fill("4 impasse des Tilleuls, 69005 Lyon")
    page.get_by_label("Postcode").fill("69005")
    page.get_by_label("Preferred channel").select_option(label="Phone")
    page.get_by_label("Vulnerability notes").fill("89 years old, not at ease with computers; prefers phone calls")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Human impact").fill("89 and alone at home: the landline is how she reaches her family")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Department").select_option(label="Sales")
    page.get_by_label("Service", exact=True).select_option(label="Fibre broadband")
    page.get_by_label("Owner").select_option(label="Samir Haddad — Sales, Sales advisor")
    page.get_by_label("What was said on the call (optional)").fill(
        "Mrs Martin buys fibre 1 Gb/s with her landline moved onto it; her son Paul was with her on the call."
    )
    page.set_viewport_size(DESKTOP)
    assert_no_axe_violation(page, "intake")
    screenshots(page, "intake")
    page.get_by_role("button", name="Open the case").click()
    assert "opened for Jeanne Martin. Owner: Samir Haddad." in notice(page)
    assert page.get_by_role("heading", level=1).inner_text() == SUBJECT
    assert "Take care" in page.locator(".vulnerable").inner_text()
    assert "the landline is how she reaches her family" in page.locator(".impact").inner_text()
    reference = re.search(r"Case (\S+)", page.locator(".case-head__ref").inner_text()).group(1)
    assert "Owner: Samir Haddad, Sales" in page.locator(".owner-line").inner_text()
    return reference


def record_the_sale(page) -> None:
    page.get_by_text("Record a sale").click()
    sale = page.locator("#sale-form")
    sale.get_by_label("Product").fill(PRODUCT)
    sale.get_by_label("Plan").fill("Fibre Essentiel, 24 months")
    sale.get_by_label("Monthly price (€)").fill("34.99")
    sale.get_by_label("Sold by").select_option(label="Samir Haddad — Sales, Sales advisor")
    sale.get_by_label("Pending offers").fill("TV option at half price for 6 months")
    sale.get_by_role("button", name="Record the sale").click()
    assert "Sale recorded" in notice(page)
    recorded = page.locator("#sale").inner_text()
    assert PRODUCT in recorded and "Samir Haddad" in recorded and "34.99" in recorded


def request_the_job(page) -> None:
    page.get_by_text("Request a contractor job").click()
    form = page.locator("#job-form")
    form.get_by_label("Contractor company").select_option(label="FibreCo Installations")
    form.get_by_label("What the job is").fill(JOB_TITLE)
    form.get_by_label("Details for the technician").fill("Ground-floor flat: run the cable to the phone socket.")
    form.get_by_label("When and how to reach the customer").fill("Mornings; ring twice, or call her son Paul first")
    start, end = visit_window_today()
    form.get_by_label("Visit from").fill(start)
    form.get_by_label("Visit until").fill(end)
    form.get_by_label("Prerequisite 1", exact=True).fill(STREET_CABINET)
    form.get_by_label("Who must do prerequisite 1").select_option(label="Our staff")
    form.get_by_role("button", name="Request the job").click()
    assert "requested from FibreCo Installations, with its visit window" in notice(page)
    jobs = page.locator("#jobs").inner_text()
    assert JOB_TITLE in jobs and "Scheduled" in jobs
    assert STREET_CABINET in jobs and "Our staff" in jobs


# --- the contractor --------------------------------------------------------------------------


def technician_cancels(page, note: str) -> None:
    page.get_by_role("link", name=re.compile(JOB_TITLE)).click()
    assert page.get_by_role("heading", level=1).inner_text() == JOB_TITLE
    assert STREET_CABINET in page.locator("#prerequisites").inner_text()
    page.get_by_text("Cancel the visit").first.click()
    cancel = page.locator("#cancel")
    cancel.get_by_label("A prerequisite was missing").check()
    cancel.get_by_label("What happened").fill(note)
    cancel.get_by_role("button", name="Cancel the visit").click()
    assert "Visit cancelled. The case owner has your reason." in notice(page)
    assert note in page.locator("#cancellations").inner_text()


def technician_completes(page) -> None:
    page.get_by_role("link", name=re.compile(JOB_TITLE)).click()
    assert "Done" in page.locator("#prerequisites").inner_text()
    page.get_by_role("button", name="I am on my way").click()
    assert "on your way" in notice(page)
    page.get_by_role("button", name="I am on site: start the visit").click()
    assert "Visit started" in notice(page)
    outcome = page.locator("#outcome-form")
    outcome.get_by_label("The job is done").check()
    outcome.get_by_label("What was done on the visit").fill(
        "Fibre socket fitted in the living room, router connected; 940 Mb/s measured, landline rings."
    )
    outcome.get_by_role("button", name="Record the outcome").click()
    assert "Outcome recorded on the case." in notice(page)
    assert "Completed" in page.locator(".job-status").inner_text()


# --- the owner -------------------------------------------------------------------------------


def job_card(page):
    return page.locator("#jobs article.job").filter(has_text=JOB_TITLE)


def settle(page, text: str, note: str) -> None:
    promise = page.locator("#promises .promise").filter(has_text=text).first
    promise.get_by_text("Mark kept, not kept or withdrawn").click()
    promise.get_by_label("Kept", exact=True).check()
    promise.get_by_label("Note").fill(note)
    promise.get_by_role("button", name="Save").click()
    assert "kept" in notice(page).lower()


def reschedule(page) -> None:
    card = job_card(page)
    card.get_by_text(re.compile("(Res|S)chedule the visit")).click()
    start, end = visit_window_today()
    card.get_by_label("Visit from").fill(start)
    card.get_by_label("Visit until").fill(end)
    card.get_by_role("button", name="Save the visit window").click()
    assert "scheduled" in notice(page)


def test_the_fibre_story_from_an_empty_database_through_the_pages(page, people) -> None:
    assert not Case.objects.exists() and not Job.objects.exists() and not Customer.objects.exists()
    page.set_viewport_size(DESKTOP)

    # The sales advisor takes the call: new customer, case, sale, job with its prerequisite.
    sign_in(page, "samir", "/staff/")
    reference = open_the_case_at_intake(page)
    case_path = f"/staff/cases/{reference}/"
    record_the_sale(page)
    request_the_job(page)
    sign_out(page)

    # FibreCo comes; the street cabinet is not connected: cancelled.
    sign_in(page, "thierry", "/contractor/")
    technician_cancels(page, FIRST_NO_SHOW)
    sign_out(page)

    # The owner books the visit again; the cabinet is still not connected: cancelled again.
    sign_in(page, "samir", "/staff/")
    page.goto(case_path)
    assert "Cancelled 1 time" in job_card(page).inner_text()
    assert "A prerequisite was missing" in job_card(page).inner_text()
    reschedule(page)
    sign_out(page)
    sign_in(page, "thierry", "/contractor/")
    technician_cancels(page, SECOND_NO_SHOW)
    sign_out(page)

    # The job watcher runs (the Celery task, as beat starts it) over both cancellations: the
    # cancellation itself raised the flags, so the sweep finds them there and adds none.
    result = run_watcher("job_cancellations")
    assert (result["examined"], result["failed"]) == (2, 0)
    flags = Flag.objects.filter(case__reference=reference, cleared_at__isnull=True)
    assert flags.filter(kind=Flag.Kind.REPEATED_CANCELLATION).count() == 1
    assert flags.filter(kind=Flag.Kind.MISSING_PREREQUISITE).count() == 1

    # The owner sees the flag, marks the street cabinet done and books the visit again.
    sign_in(page, "samir", "/staff/")
    needs = page.locator("tr").filter(has_text=reference).locator(".needs").inner_text()
    assert "Job cancelled again" in needs and "Job blocked by a prerequisite" in needs
    page.get_by_role("link", name=reference).click()
    raised = page.locator("#flags").inner_text()
    assert f"job {Job.objects.get().reference} cancelled 2 times" in raised
    assert "blocked by a missing prerequisite" in raised
    assert "Cancelled 2 times" in job_card(page).inner_text()
    job_card(page).get_by_role("button", name=re.compile(f"Mark done.*{STREET_CABINET}")).click()
    assert f"Marked done: {STREET_CABINET}" in notice(page)
    reschedule(page)
    page.get_by_text("Make a promise or a call-back").click()
    page.get_by_label("Kind of promise").select_option("callback")
    page.get_by_label("What you promise").fill(CALLBACK)
    page.get_by_label("Due by").fill(local_input(timezone.now() + timedelta(hours=6)))
    page.get_by_role("button", name="Record the promise").click()
    assert CALLBACK in page.locator("#promises").inner_text()
    page.get_by_label("Your reply to the customer").fill(REPLY)
    page.get_by_role("button", name="Send the reply").click()
    assert "Your reply is on its way to" in notice(page)
    sign_out(page)

    # FibreCo comes a third time; the street cabinet is done; the job is done.
    sign_in(page, "thierry", "/contractor/")
    technician_completes(page)
    sign_out(page)

    # The owner keeps the call-back and resolves, listing what was done.
    sign_in(page, "samir", "/staff/")
    page.goto(case_path)
    assert "Completed" in job_card(page).inner_text()
    assert "No open flag." in page.locator("#flags").inner_text()
    timeline = page.locator("#timeline").inner_text()
    assert FIRST_NO_SHOW in timeline and SECOND_NO_SHOW in timeline and "940 Mb/s measured" in timeline
    page.get_by_text("Resolve the case", exact=True).click()
    loose_ends = page.locator("#loose-ends").inner_text()
    assert CALLBACK in loose_ends and "Call Jeanne Martin to tell them" in loose_ends
    settle(page, CALLBACK, "Called her at 17:00: fibre and landline both work.")
    # Each booking, cancellation and promise asked for a call to Mrs Martin, who prefers the phone.
    while page.locator("#promises .promise").filter(has_text=CALL_TASK).count():
        settle(page, CALL_TASK, "Told her on the phone.")
    assert "No open promise." in page.locator("#promises").inner_text()
    page.get_by_text("Resolve the case", exact=True).click()
    assert page.locator("#loose-ends").count() == 0
    page.get_by_label("What was done to resolve it").fill(RESOLUTION)
    page.get_by_role("button", name="Resolve and ask the customer").click()
    assert "waiting for the customer to confirm" in page.locator("#manage").inner_text()
    assert_no_axe_violation(page, "case")
    screenshots(page, "case")
    invite_the_customer(page)
    sign_out(page)

    # Mrs Martin chooses her password from the invitation, signs in, confirms; the case closes.
    choose_a_password_from_the_invitation(page, "jeanne.martin@example.org")
    sign_in(page, "jeanne.martin@example.org", "/my/", password=JEANNE_PASSWORD)
    page.get_by_role("link", name=SUBJECT, exact=True).click()
    assert RESOLUTION in page.locator("#resolution").inner_text()
    assert REPLY in page.locator("main").inner_text()
    page.get_by_role("button", name="Yes, it is fixed").click()
    assert "Your case is closed" in notice(page)
    assert "The customer confirmed it is fixed. Case closed." in page.locator("main").inner_text()

    case = Case.objects.get(reference=reference)
    assert case.status == Case.Status.CLOSED and case.close_reason == Case.CloseReason.CONFIRMED
    assert case.sales.get().product == PRODUCT
    assert Promise.objects.get(case=case, text=CALLBACK).status == Promise.Status.KEPT


def invite_the_customer(page) -> None:
    card = page.locator("#customer")
    assert "No sign-in yet" in card.inner_text()
    card.get_by_role("button", name="Invite to the self-service pages").click()
    assert "Jeanne Martin now has a sign-in" in notice(page)
    card = page.locator("#customer")
    assert "Has a sign-in; has never signed in" in card.inner_text()
    assert card.get_by_role("button", name="Send the invitation again").is_visible()


def choose_a_password_from_the_invitation(page, email: str) -> None:
    """The link from the e-mail the live server sent (Django's test outbox, in this process)."""
    (invitation,) = [m for m in mail.outbox if m.to == [email] and "Your own pages on Steward" in m.subject]
    link = re.search(r"https?://\S+/my/password-reset/\S+", invitation.body).group(0)
    page.goto(urlsplit(link).path)
    page.get_by_label("Choose a password", exact=True).fill(JEANNE_PASSWORD)
    page.get_by_label("Type the same password again").fill(JEANNE_PASSWORD)
    page.get_by_role("button", name="Save my password").click()
    page.wait_for_url("**/password-reset/done/")
