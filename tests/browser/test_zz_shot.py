import pytest

from tests.factories import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_shot(page, artifacts, case, job, owner, contractor_user, manager):
    from tests.staff_ui.story import build_fibre_story

    story = build_fibre_story(case=case, job=job, owner=owner, contractor_user=contractor_user)
    page.goto("/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.screenshot(path=str(artifacts / "scratch-worklist.png"), full_page=True)
    page.goto(f"/staff/cases/{story.case.reference}/")
    page.screenshot(path=str(artifacts / "scratch-case.png"), full_page=True)
    page.set_viewport_size({"width": 800, "height": 1000})
    page.screenshot(path=str(artifacts / "scratch-case-tablet.png"), full_page=True)
