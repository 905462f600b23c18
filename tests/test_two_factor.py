"""Two-step sign-in: administrators must set up an authenticator app, then type its code (or a
backup code, once) after their password before any page; staff only when their role is listed."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import StaffProfile
from portal import two_factor
from tests.factories import PASSWORD, make_staff

SETUP = "/two-step/"
VERIFY = "/two-step/code/"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    settings.TWO_FACTOR_ENFORCED = True
    settings.TWO_FACTOR_STAFF_ROLES = []


def _sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = two_factor.unconfirmed_app_device(user)
    codes = two_factor.confirm_app_device(device=device, code=_code(device))
    device.refresh_from_db()
    device.last_t = -1  # the code used to confirm may be typed again in these tests
    device.save()
    return device, codes


def test_the_urls(db):
    assert reverse("two_factor_setup") == SETUP
    assert reverse("two_factor_verify") == VERIFY


def test_an_administrator_without_an_app_is_sent_to_set_one_up(client, administrator):
    _sign_in(client, "admin", "steward-test-pass-1")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP + "?next=")
    page = client.get(SETUP)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Set up two-step sign-in" in html
    # The QR code is inline SVG: no inline script or style for the content security policy to refuse.
    assert "<svg" in html and "style=" not in html
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert 'for="id_code"' in html


def test_setting_up_the_app_gives_backup_codes_and_opens_the_admin_site(client, administrator, settings):
    # A wrong code makes the device wait a second before the next; this test types on at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    _sign_in(client, "admin", "steward-test-pass-1")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=administrator)
    wrong = client.post(SETUP, {"code": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "That code does not match" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    done = client.post(SETUP, {"code": _code(device), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == two_factor.BACKUP_CODE_COUNT
    assert StaticToken.objects.filter(device__user=administrator).count() == two_factor.BACKUP_CODE_COUNT
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_administrator_with_an_app_must_type_its_code(client, administrator):
    device, _codes = _enrolled(administrator)
    _sign_in(client, "admin", "steward-test-pass-1")
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(VERIFY + "?next=")
    # Setting up another app or making new backup codes needs the code too.
    assert client.post(SETUP, {"action": "new_backup_codes"})["Location"] == VERIFY
    assert StaticToken.objects.filter(device__user=administrator).count() == two_factor.BACKUP_CODE_COUNT
    answer = client.post(VERIFY, {"code": _code(device), "next": "/admin/"})
    assert answer["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_is_refused(client, administrator, settings):
    # Long enough that the wait after the wrong code is still running when the right one comes.
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600
    device, _codes = _enrolled(administrator)
    _sign_in(client, "admin", "steward-test-pass-1")
    wrong = "000000" if _code(device) != "000000" else "111111"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 400
    assert "That code does not match" in response.content.decode()
    assert client.get(reverse("admin:index"))["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": ""}).status_code == 400
    # Right away, even the right code waits: wrong codes in a row slow the device down.
    slowed = client.post(VERIFY, {"code": _code(device)})
    assert slowed.status_code == 400
    assert "Too many wrong codes in a row" in slowed.content.decode()


def test_a_backup_code_works_once(client, administrator):
    _device, codes = _enrolled(administrator)
    _sign_in(client, "admin", "steward-test-pass-1")
    assert client.post(VERIFY, {"code": codes[0]})["Location"] == reverse("landing")
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("logout"))
    _sign_in(client, "admin", "steward-test-pass-1")
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 400
    assert client.get(reverse("admin:index"))["Location"].startswith(VERIFY)
    assert StaticToken.objects.filter(device__user=administrator).count() == two_factor.BACKUP_CODE_COUNT - 1


def test_the_api_answers_json_until_the_code_is_typed(client, administrator):
    _enrolled(administrator)
    _sign_in(client, "admin", "steward-test-pass-1")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert "authenticator app" in response.json()["detail"]


def test_staff_need_it_only_when_their_role_is_listed(client, db, department, settings):
    make_staff("agent", department=department)
    make_staff("boss", department=department, role=StaffProfile.Role.MANAGER)
    settings.TWO_FACTOR_STAFF_ROLES = ["manager"]
    _sign_in(client, "agent")
    assert client.get(reverse("staff:worklist")).status_code == 200
    client.post(reverse("logout"))
    _sign_in(client, "boss")
    assert client.get(reverse("staff:worklist"))["Location"].startswith(SETUP)


def test_people_who_need_no_code_are_sent_on_from_the_pages(client, cast):
    client.force_login(cast.customer.user)
    assert client.get(VERIFY)["Location"] == reverse("landing")
    assert client.get(SETUP)["Location"] == reverse("landing")
    assert client.get("/my/").status_code == 200


def test_an_administrator_removes_the_devices_of_someone_who_lost_their_phone(client, administrator):
    from django.contrib.auth.models import User

    lost = User.objects.create_superuser("second", "second@example.test", PASSWORD)
    _enrolled(lost)
    device, _codes = _enrolled(administrator)
    _sign_in(client, "admin", "steward-test-pass-1")
    client.post(VERIFY, {"code": _code(device)})
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "forget_two_factor_devices", "_selected_action": [lost.pk]},
        follow=True,
    )
    assert "Two-step sign-in devices removed: second" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=lost).exists()
    assert not StaticToken.objects.filter(device__user=lost).exists()
    assert TOTPDevice.objects.filter(user=administrator, confirmed=True).exists()
