"""The contractor login in a real browser, on the demo's fibre story: FibreCo's technician signs
in, finds the street-cabinet prerequisite still open, starts the visit with a stated reason,
files a damage report with a photo and promises to return on Monday; the case owner then sees
all of it on her case page. Screenshots go to test-artifacts/."""

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.demo.cast import DEMO_PASSWORD
from cases.demo.stories import Stories, load_stories
from cases.models import Flag, Promise, TimelineEvent
from contractors.models import IncidentReport, Job
from contractors.services import job_schedule
from tests.browser.conftest import in_english

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OVERRIDE = "Street connection still not confirmed; Mrs Martin asked us to finish the indoor part today"
DAMAGE = "Radiator valve knocked loose while pulling the cable; water dripping"
RETURN = "We return Monday at 8:00 with two workers to repair the valve"


@pytest.fixture
def stories(transactional_db: None) -> Stories:
    return in_english(load_stories())


def sign_in(page, username: str, lands_on: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{lands_on}")


def next_monday_at_8() -> str:
    today = timezone.localdate()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return f"{monday.isoformat()}T08:00"


def return_visit_today(stories: Stories) -> Job:
    """Claire books FibreCo again for today, with Thierry; the operator has still not connected
    the street cabinet."""
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    start = max(now - timedelta(minutes=30), midnight)
    fibre = stories.fibre
    return job_schedule(
        actor=fibre.case.owner,
        job=fibre.job,
        window_start=start,
        window_end=start + timedelta(hours=4),
        technician=fibre.job.technician,
        contact_window="Mornings; ring twice, or call her son Paul first",
    )


def test_the_technician_reports_the_visit_and_the_owner_sees_all_of_it(
    page,
    stories: Stories,
    artifacts: Path,
) -> None:
    job = return_visit_today(stories)
    case = stories.fibre.case
    assert job.technician.username == "thierry" and case.owner.username == "claire"

    # Thierry lands on today's jobs and opens the visit.
    sign_in(page, "thierry", reverse("contractor:jobs"))
    assert page.get_by_role("heading", level=1).inner_text() == "Jobs of FibreCo Installations"
    page.screenshot(path=str(artifacts / "contractor-jobs.png"), full_page=True)
    page.get_by_role("link", name=re.compile(job.title)).click()
    assert page.get_by_role("heading", level=1).inner_text() == job.title
    assert "Mrs Martin is slow to reach the door" in page.locator("#customer").inner_text()
    assert "call her son Paul first" in page.locator("#visit").inner_text()

    # The street connection is still open: the visit starts only with a reason.
    blocked = page.locator(".blocked")
    assert "Operator connection at the street cabinet" in blocked.inner_text()
    page.get_by_role("button", name="I am on my way").click()
    page.get_by_role("button", name="Start anyway, with this reason").click()
    assert "Give a reason to start anyway" in page.locator(".error-summary").inner_text()
    page.get_by_label("Why start the visit anyway?").fill(OVERRIDE)
    page.get_by_role("button", name="Start anyway, with this reason").click()
    assert "Visit started" in page.locator(".notices").inner_text()
    page.screenshot(path=str(artifacts / "contractor-job-on-site.png"), full_page=True)

    # Damage: one click from the job page, with a photo.
    page.get_by_role("link", name="Report damage caused on site").click()
    page.get_by_label("What was damaged, and how").fill(DAMAGE)
    page.get_by_label("Where in the home").fill("Living room, radiator under the window")
    page.get_by_label("What you did at once").fill("Valve closed by hand; heating switched off; towels down.")
    page.get_by_label("Water").check()
    page.get_by_label("Heating").check()
    page.get_by_label("Photos").set_input_files({"name": "valve.png", "mimeType": "image/png", "buffer": PNG})
    page.screenshot(path=str(artifacts / "contractor-damage-form.png"), full_page=True)
    page.get_by_role("button", name="File the damage report").click()
    assert "Damage report filed" in page.locator(".notices").inner_text()
    assert page.get_by_role("img", name=re.compile("valve.png")).is_visible()

    # The promise to come back, on the case, owed to Mrs Martin.
    page.get_by_role("link", name=re.compile(f"Back to {job.reference}")).click()
    page.get_by_text("Promise the customer something").click()
    page.get_by_label("What you promise the customer").fill(RETURN)
    page.get_by_label("By when").fill(next_monday_at_8())
    page.get_by_role("button", name="Record the promise").click()
    assert "Promise recorded on the case" in page.locator(".notices").inner_text()
    assert RETURN in page.locator("#promises").inner_text()
    page.screenshot(path=str(artifacts / "contractor-job-reported.png"), full_page=True)

    incident = IncidentReport.objects.get(job=job, what=DAMAGE)
    assert incident.photos.count() == 1
    assert Promise.objects.get(text=RETURN).owed_to_customer
    assert Flag.objects.filter(kind=Flag.Kind.INCIDENT, subject_key=f"incident:{incident.pk}").exists()
    assert TimelineEvent.objects.filter(case=case, summary__contains=OVERRIDE).exists()

    # Claire, the owner, sees all of it on the case page.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
    sign_in(page, "claire", reverse("staff:worklist"))
    page.goto(reverse("staff:case", args=[case.reference]))
    flags = page.locator("#flags").inner_text()
    assert "Damage reported on site" in flags and "Visit started with a prerequisite open" in flags
    assert RETURN in page.locator("#promises").inner_text()
    jobs = page.locator("#jobs").inner_text()
    assert DAMAGE in jobs and "1 photo" in jobs and "On site" in jobs
    timeline = page.locator("#timeline").inner_text()
    assert OVERRIDE in timeline and "Radiator valve knocked loose" in timeline and RETURN in timeline
    page.screenshot(path=str(artifacts / "contractor-story-owner-case.png"), full_page=True)
