"""The two-step sign-in pages: set up an authenticator app (QR code, backup codes), and type a
code after the password. Shared by every surface, like the sign-in page; people who need no
second step (cases.policies.must_use_two_factor) are sent on to their landing page."""

from base64 import b32encode

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device

from cases import policies
from portal import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6 digits your authenticator app shows now, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": _("Type the code your authenticator app shows.")},
    )


MISMATCH_ON_SETUP = _("That code does not match. Type the code the app shows now; it changes every 30 seconds.")
MISMATCH_ON_VERIFY = _("That code does not match. Type the code the app shows now, or a backup code.")


SLOWED_DOWN = _(
    "Too many wrong codes in a row, so codes are not checked for a while. Wait, then type the code the app shows."
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("landing")


def _qr_svg(device: object) -> str:
    # An SVG with no script and no style attribute: it passes the content security policy inline.
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title=str(_("QR code to scan")))


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app (or see how many backup codes are left and make new ones).
    Someone who already has an app must have typed a code in this session to change anything."""
    user = request.user
    if not policies.must_use_two_factor(user):
        return redirect("landing")
    if user_has_device(user, confirmed=True) and not user.is_verified():
        return redirect("two_factor_verify")
    if two_factor.has_app_device(user):
        codes = None
        if request.method == "POST" and request.POST.get("action") == "new_backup_codes":
            codes = two_factor.new_backup_codes(user=user)
        context = {"codes": codes, "codes_left": two_factor.backup_codes_left(user), "next": _next_url(request)}
        return render(request, "registration/two_factor_enrolled.html", context)
    device = two_factor.unconfirmed_app_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        # Asked before the check, which itself slows the device down after a wrong code.
        slowed = two_factor.slowed_down(user)
        codes = two_factor.confirm_app_device(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            context = {"codes": codes, "codes_left": len(codes), "next": _next_url(request), "just_enrolled": True}
            return render(request, "registration/two_factor_enrolled.html", context)
        form.add_error("code", SLOWED_DOWN if slowed else MISMATCH_ON_SETUP)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "key": _spaced_key(device),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/two_factor_setup.html", context, status=400 if form.errors else 200)


def _spaced_key(device: object) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code after the password: from the authenticator app, or a backup code (once)."""
    user = request.user
    if not policies.must_use_two_factor(user):
        return redirect("landing")
    if not user_has_device(user, confirmed=True):
        return redirect("two_factor_setup")
    if user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        slowed = two_factor.slowed_down(user)
        device = two_factor.device_matching(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", SLOWED_DOWN if slowed else MISMATCH_ON_VERIFY)
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "registration/two_factor_verify.html", context, status=400 if form.errors else 200)
