"""Two-factor sign-in with django-otp: who must use it is cases.policies.must_use_two_factor;
this module keeps them, once signed in with their password, on the enrolment page until they
have an authenticator app, then on the code page until the session holds a checked code.

A person's devices: one authenticator app (TOTP, named APP_DEVICE) and one set of backup codes
(static tokens, named BACKUP_DEVICE), each used once.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import policies

APP_DEVICE = "authenticator app"
BACKUP_DEVICE = "backup codes"
BACKUP_CODE_COUNT = 10


def unconfirmed_app_device(user: User) -> TOTPDevice:
    """The authenticator app being set up: the same secret until it is confirmed, so reloading
    the page does not change the QR code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


@transaction.atomic
def confirm_app_device(*, device: TOTPDevice, code: str) -> list[str] | None:
    """The first code typed from the app proves it was set up: the device is confirmed, any older
    app is removed, and a fresh set of backup codes is made. None when the code is wrong."""
    if not device.verify_token(code.replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_backup_codes(user=device.user)


@transaction.atomic
def new_backup_codes(*, user: User) -> list[str]:
    """Replace the person's backup codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def forget_devices(*, user: User) -> None:
    """For someone who lost their phone and their backup codes: their next sign-in sets up a new
    app. Only from the admin site, by someone who may change their account anyway."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def has_app_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def device_matching(user: User, code: str) -> object | None:
    """The confirmed device the code belongs to (a backup code is used up by matching), or None.
    Each device slows down repeated wrong codes by itself (django-otp's throttling)."""
    code = code.strip().replace(" ", "")
    if not code:
        return None
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


def slowed_down(user: User) -> bool:
    """Whether wrong codes in a row made a device wait before it checks the next one."""
    return any(not device.verify_is_allowed()[0] for device in devices_for_user(user, confirmed=None))


def _passes(path: str) -> bool:
    """Pages a person between password and code may still open."""
    open_paths = (
        reverse("two_factor_setup"),
        reverse("two_factor_verify"),
        reverse("logout"),
        reverse("language_switch"),
    )
    return path in open_paths or path.startswith(("/" + settings.STATIC_URL.lstrip("/"), "/health/"))


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and policies.must_use_two_factor(user)
            and not _passes(request.path)
        ):
            return self._refuse(request, user)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, user: User) -> HttpResponse:
        enrolled = user_has_device(user, confirmed=True)
        if request.path.startswith("/api/"):
            detail = (
                _("Type the code from your authenticator app on the sign-in pages first.")
                if enrolled
                else _("Set up two-step sign-in on the sign-in pages first.")
            )
            return JsonResponse({"detail": detail}, status=403)
        target = reverse("two_factor_verify" if enrolled else "two_factor_setup")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
