"""Each signed-in person reads Steward in their own language and time zone.

Django's LocaleMiddleware has already picked a language from the language cookie or the
browser's Accept-Language; for a signed-in person their saved preference wins, and their time
zone becomes the one Django renders datetimes in and reads form input in.

The preference is read from the database when the person signs in (a person without one gets
it then, from the language their browser asked for) and kept in their session, so a page costs
no extra query. The switch and the preferences page update the session they were used from; a
change made elsewhere (another browser, the admin site) applies at the next sign-in there.
The API follows token users' preferences too, once DRF has authenticated them (`follow_preference`).
"""

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation.trans_real import parse_accept_lang_header

from people.models import Preference
from people.preferences import preference_for, preference_start

SESSION_KEY = "steward_preference"


def browser_language(request: HttpRequest) -> str | None:
    """The language the visitor's cookie or browser asked for, when Steward offers it; None when
    they asked for nothing Steward offers (LocaleMiddleware would then fall back to the default)."""
    asked = [request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")]
    asked += [code for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))]
    for code in asked:
        if not code or code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def remember_preference(request: HttpRequest, preference: Preference) -> None:
    """Keep the person's choice in their session, for the pages that follow."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = {"language": preference.language, "time_zone": preference.time_zone}


def _activate(request: HttpRequest, language: str, time_zone: str) -> None:
    try:
        supported = translation.get_supported_language_variant(language)
    except LookupError:
        supported = None  # a language since withdrawn from LANGUAGES: keep the browser's
    if supported:
        translation.activate(supported)
        request.LANGUAGE_CODE = supported
    try:
        timezone.activate(zoneinfo.ZoneInfo(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        timezone.deactivate()  # a zone the database no longer knows: the site's own


def follow_preference(request: HttpRequest, user: User | AnonymousUser) -> None:
    """Read the page in the person's saved language and time zone, if they have saved them."""
    preference = preference_for(user)
    if preference is not None:
        _activate(request, preference.language, preference.time_zone)


def on_sign_in(sender: type[User], request: HttpRequest | None, user: User, **kwargs: object) -> None:
    """user_logged_in: the person's preference (saved now if they have none) goes into the session."""
    if request is None:
        return
    remember_preference(request, preference_start(user, browser_language=browser_language(request)))


class PreferenceMiddleware:
    """After AuthenticationMiddleware: activates the signed-in person's language and time zone
    for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Both are restored afterwards, so nothing of one person's request outlives it in the thread.
        with translation.override(translation.get_language()), timezone.override(None):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                chosen = request.session.get(SESSION_KEY)
                if not isinstance(chosen, dict):
                    # A session opened before languages came (or by a sign-in that sent no signal).
                    on_sign_in(type(user), request, user)
                    chosen = request.session[SESSION_KEY]
                _activate(request, chosen.get("language", ""), chosen.get("time_zone", ""))
            response = self.get_response(request)
            # LocaleMiddleware, further out, would name the language it picked before this one.
            response.headers["Content-Language"] = translation.get_language()
        return response


class FriendlyMethodNotAllowedMiddleware:
    """Turns Django's empty 405 (require_POST and friends) into a page that says what to do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            from portal.error_views import method_not_allowed

            return method_not_allowed(request, response)
        return response
