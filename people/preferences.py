"""Each person's language and time zone: the only writer of `people.Preference`.

A customer's own sign-in keeps `Customer.language` and `Customer.time_zone` in step with their
preference, because those two fields choose the language and the clock of the e-mails and letters
Steward sends them: what they pick on the site is what they get in the post.
"""

import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext as _

from people.models import Customer, Preference
from portal.errors import RuleViolation

# Names the zone database ships that are not places: a person cannot live in them.
_NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def known_time_zones() -> frozenset[str]:
    """Every zone a person may choose (the IANA names installed with Python's zoneinfo)."""
    return frozenset(zoneinfo.available_timezones()) - _NOT_PLACES


def offered_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def preference_for(user: User | AnonymousUser) -> Preference | None:
    """The person's saved preference, or None when they have not signed in since languages came."""
    if not user.is_authenticated:
        return None
    try:
        return user.preference
    except Preference.DoesNotExist:
        return None


def preference_start(user: User, *, browser_language: str | None) -> Preference:
    """The person's preference, saved on first use.

    It starts from the language their browser asked for; when it asked for none Steward offers,
    a customer keeps the language and time zone on their record (staff may have set them), and
    anyone else gets the site's defaults.
    """
    existing = preference_for(user)
    if existing is not None:
        return existing
    customer = Customer.objects.filter(user=user).first()
    language = browser_language or (customer.language if customer else settings.LANGUAGE_CODE)
    if language not in offered_languages():
        language = settings.LANGUAGE_CODE
    time_zone = customer.time_zone if customer and customer.time_zone in known_time_zones() else settings.TIME_ZONE
    with transaction.atomic():
        # Two first requests may race: get_or_create keeps the one that wins.
        preference, created = Preference.objects.get_or_create(
            user=user, defaults={"language": language, "time_zone": time_zone}
        )
        if created and customer is not None:
            _keep_customer_in_step(customer, preference)
    user.preference = preference
    return preference


def preference_set(*, user: User, language: str | None = None, time_zone: str | None = None) -> Preference:
    """Change the person's language, time zone or both (None keeps what they had).

    Raises RuleViolation naming the field when the language is not offered or the zone unknown.
    """
    if language is not None and language not in offered_languages():
        raise RuleViolation(_("Choose one of the languages offered."), field="language", code="unknown_language")
    if time_zone is not None and time_zone not in known_time_zones():
        raise RuleViolation(_("Choose a time zone from the list."), field="time_zone", code="unknown_time_zone")
    with transaction.atomic():
        preference = Preference.objects.select_for_update().filter(user=user).first()
        if preference is None:
            preference = preference_start(user, browser_language=language)
            preference = Preference.objects.select_for_update().get(pk=preference.pk)
        if language is not None:
            preference.language = language
        if time_zone is not None:
            preference.time_zone = time_zone
        preference.save(update_fields=["language", "time_zone"])
        customer = Customer.objects.select_for_update().filter(user=user).first()
        if customer is not None:
            _keep_customer_in_step(customer, preference)
    user.preference = preference
    return preference


def _keep_customer_in_step(customer: Customer, preference: Preference) -> None:
    if (customer.language, customer.time_zone) == (preference.language, preference.time_zone):
        return
    customer.language, customer.time_zone = preference.language, preference.time_zone
    customer.save(update_fields=["language", "time_zone"])


def language_or_default(code: str | None) -> str:
    """A language Steward offers: the one given, or the site's own."""
    return code if code in offered_languages() else settings.LANGUAGE_CODE


def zone_or_default(name: str | None) -> zoneinfo.ZoneInfo:
    """A time zone to render in: the one given, or the site's own when it is unknown."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def reader_settings(user: User) -> tuple[str, zoneinfo.ZoneInfo]:
    """The language and time zone a person reads what Steward sends them in (their preference, else the site's)."""
    preference = getattr(user, "preference", None)
    if preference is None:
        return settings.LANGUAGE_CODE, zone_or_default(None)
    return language_or_default(preference.language), zone_or_default(preference.time_zone)
