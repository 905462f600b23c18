"""The language switch in every page's header, and each signed-in person's "Language and time zone" page."""

from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from cases import policies
from people.preferences import known_time_zones, offered_languages, preference_set, preference_start
from portal.errors import RuleViolation
from portal.middleware import browser_language, remember_preference

# The regions of the zone database people live in, in the order the list shows them.
_REGIONS = {
    "Europe": gettext_lazy("Europe"),
    "Africa": gettext_lazy("Africa"),
    "America": gettext_lazy("America"),
    "Asia": gettext_lazy("Asia"),
    "Atlantic": gettext_lazy("Atlantic Ocean"),
    "Indian": gettext_lazy("Indian Ocean"),
    "Pacific": gettext_lazy("Pacific Ocean"),
    "Australia": gettext_lazy("Australia"),
    "Antarctica": gettext_lazy("Antarctica"),
    "Arctic": gettext_lazy("Arctic"),
}


def time_zone_choices(current: str | None = None) -> list[tuple[str, object]]:
    """Zones grouped by region ("Paris" under "Europe"), then UTC; the person's own zone is kept
    even when it is an older alias the list does not offer."""
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in sorted(known_time_zones()):
        region, _slash, place = name.partition("/")
        if region in _REGIONS and place:
            grouped[region].append((name, place.replace("_", " ")))
    choices: list[tuple[str, object]] = [(str(label), grouped[region]) for region, label in _REGIONS.items()]
    others = [("UTC", "UTC")]
    if current and current != "UTC" and not any(current == name for group in grouped.values() for name, _p in group):
        others.append((current, current.replace("_", " ")))
    # Translators: the heading of the last group in the time zone list (UTC and older zone names).
    choices.append((pgettext("time zone group", "Other"), others))
    return choices


class LanguageSelect(forms.Select):
    """Each language is written in its own language, and marked so screen readers say it right."""

    def create_option(
        self,
        name: str,
        value: object,
        label: object,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, object] | None = None,
    ) -> dict[str, object]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["lang"] = value
        return option


class PreferenceForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), widget=LanguageSelect)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), help_text=gettext_lazy("Dates and times are shown in this time zone.")
    )

    def __init__(self, *args: object, current_zone: str | None = None, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)
        self.fields["time_zone"].choices = time_zone_choices(current_zone)


def _safe_next(request: HttpRequest) -> str:
    """Back to the page the person was on, never to another site."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return reverse("landing")


def _remember_language(response: HttpResponse, language: str) -> None:
    """The language cookie, as django.views.i18n.set_language sets it: the sign-in page keeps
    speaking the person's language after they sign out."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the language: a cookie for a visitor, the saved preference (and the cookie) for a
    signed-in person; then back to the page they were reading."""
    language = request.POST.get("language", "")
    if language not in offered_languages():
        return HttpResponseBadRequest(_("Choose one of the languages offered."), content_type="text/plain")
    if request.user.is_authenticated:
        remember_preference(request, preference_set(user=request.user, language=language))
    response = HttpResponseRedirect(_safe_next(request))
    _remember_language(response, language)
    return response


def _base_template(user: User | AnonymousUser) -> str:
    """The page sits in the person's own surface, with its navigation (as the landing page orders them)."""
    if policies.is_staff_member(user):
        return "staff/base_staff.html"
    if policies.customer_of(user) is not None or policies.is_any_delegate(user):
        return "my/base_my.html"
    if policies.contractor_company_of(user) is not None:
        return "contractor/base_contractor.html"
    return "base.html"


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    preference = preference_start(request.user, browser_language=browser_language(request))
    status = 200
    if request.method == "POST":
        form = PreferenceForm(request.POST, current_zone=preference.time_zone)
        status = 400
        if form.is_valid():
            try:
                preference = preference_set(
                    user=request.user,
                    language=form.cleaned_data["language"],
                    time_zone=form.cleaned_data["time_zone"],
                )
            except RuleViolation as violation:
                form.add_error(violation.field if violation.field in form.fields else None, violation.message)
            else:
                remember_preference(request, preference)
                # Said in the language just chosen: it is the one the next page speaks.
                with translation.override(preference.language):
                    messages.success(request, _("Your language and time zone are saved."))
                response = redirect("preferences")
                _remember_language(response, preference.language)
                return response
    else:
        form = PreferenceForm(
            initial={"language": preference.language, "time_zone": preference.time_zone},
            current_zone=preference.time_zone,
        )
    context = {
        "form": form,
        "base_template": _base_template(request.user),
        "writes_to_them": policies.customer_of(request.user) is not None,
        "now": timezone.now(),
    }
    return render(request, "preferences.html", context, status=status)
