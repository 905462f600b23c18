"""portal.dates and the `when` filter write exactly what Django's `date` filter writes, in every
language and time zone, for the formats the pages use and for those it hands back to Django."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from portal.dates import local_format

FORMATS = (
    "c",
    "D j M Y, H:i",
    "D j M, H:i",
    "l j F Y, G:i",
    "j F, G:i",
    "l j F, G:i",
    "H:i",
    "j M Y",
    "j F Y",
    # Handed to Django as they are: seconds, a zone, an escaped letter, "noon"/"midnight".
    "H:i:s",
    "j M Y, H:i T",
    r"j \d\e F",
    "N j, Y, P",
)
ZONES = ("Europe/Paris", "America/New_York", "Asia/Kathmandu", "UTC")


def moments() -> Iterator[datetime]:
    """Every 37 hours and 13 minutes over two years (each weekday, month, hour and both sides of
    the clock changes), and the minutes around the Paris changes of 2030."""
    moment = datetime(2029, 1, 1, 0, 7, tzinfo=UTC)
    while moment < datetime(2031, 1, 1, tzinfo=UTC):
        yield moment
        moment += timedelta(hours=37, minutes=13)
    for change in (datetime(2030, 3, 31, 1, 0, tzinfo=UTC), datetime(2030, 10, 27, 1, 0, tzinfo=UTC)):
        for minutes in range(-61, 62, 30):
            yield change + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _defaults_back() -> Iterator[None]:
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_when_writes_what_the_date_filter_writes(language: str) -> None:
    lines = "".join(f'{{{{ m|date:"{f}" }}}}|{{{{ m|when:"{f}" }}}}\n' for f in FORMATS)
    both = Template("{% load steward_time %}" + lines)
    translation.activate(language)
    checked = 0
    for zone in ZONES:
        timezone.activate(ZoneInfo(zone))
        for moment in moments():
            for line, format_string in zip(both.render(Context({"m": moment})).splitlines(), FORMATS, strict=True):
                by_django, by_when = line.split("|")
                assert by_when == by_django, (zone, moment, format_string)
                checked += 1
    assert checked > 10_000


def test_the_day_and_month_follow_the_active_language() -> None:
    moment = datetime(2030, 2, 4, 13, 5, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert local_format(moment, "l j F Y, G:i") == "Monday 4 February 2030, 14:05"
        with translation.override("fr"):
            assert local_format(moment, "l j F Y, G:i") == "lundi 4 février 2030, 14:05"
        assert local_format(moment, "D j M Y, H:i") == "Mon 4 Feb 2030, 14:05"


def test_the_time_follows_the_active_zone() -> None:
    moment = datetime(2030, 2, 4, 23, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert local_format(moment, "D j M Y, H:i") == "Tue 5 Feb 2030, 00:30"
        assert local_format(moment, "c") == "2030-02-05T00:30:00+01:00"
    with timezone.override(ZoneInfo("America/New_York")):
        assert local_format(moment, "D j M Y, H:i") == "Mon 4 Feb 2030, 18:30"


def test_nothing_reads_as_nothing_and_a_day_as_a_day() -> None:
    assert local_format(None, "D j M Y, H:i") == ""
    assert Template('{% load steward_time %}{{ m|when:"j M Y" }}').render(Context({"m": None})) == ""
    assert local_format(date(2030, 2, 4), "l j F Y") == "Monday 4 February 2030"


def test_when_writes_the_moment_it_is_given_as_date_does() -> None:
    """Under {% localtime off %} the template engine hands over the stored moment unchanged."""
    template = Template(
        "{% load steward_time tz %}{% localtime off %}"
        '{{ m|date:"D j M, H:i" }}|{{ m|when:"D j M, H:i" }}{% endlocaltime %}'
    )
    with timezone.override(ZoneInfo("Europe/Paris")):
        rendered = template.render(Context({"m": datetime(2030, 2, 4, 23, 30, tzinfo=UTC)}))
    assert rendered == "Mon 4 Feb, 23:30|Mon 4 Feb, 23:30"
