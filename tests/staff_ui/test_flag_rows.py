"""The flags queue's rows (staff.views.flag_rows): worked out once, they say what the flag and
Django's own filters say, and the page translates its fixed words once, not once per row."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext_noop

from cases.models import Case, Flag
from cases.services import flag_raise
from cases.services.timeline import Sentence, choice, moment
from staff.views.flag_rows import flag_rows
from tests.staff_ui.conftest import signed_in

FLAGS = reverse("staff:flags")


def _flags(case: Case, count: int) -> list[Flag]:
    raised = [
        flag_raise(
            kind="stale_promise",
            subject_key=f"promise:{n}",
            summary=f"Call back number {n} is late",
            case=case,
            now=timezone.now() - timedelta(hours=n),
        )
        for n in range(count)
    ]
    return [flag for flag in raised if flag is not None]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_row_says_what_the_flag_and_the_date_filter_say(language: str, owner: User, case: Case) -> None:
    due = datetime(2030, 3, 4, 14, 5, tzinfo=ZoneInfo("UTC"))
    sentence = Sentence(
        gettext_noop("%(case)s: promise by %(who)s was due %(due)s — “%(text)s”"),
        {
            "case": case.reference,
            "who": choice("cases.Case.status", "new"),
            "due": moment(due, "D d M H:i"),
            "text": "<b>",
        },
    )
    flag = flag_raise(kind="stale_promise", subject_key="promise:7", summary=sentence, case=case)
    assert flag is not None
    flag.acknowledged_at, flag.acknowledged_by = flag.raised_at + timedelta(minutes=3), owner
    with translation.override(language), timezone.override(ZoneInfo("America/New_York")):
        [row] = flag_rows([flag])
        assert row["text"] == flag.text
        # The sentence's moment, as Django writes it in the reader's zone and language.
        assert dateformat.format(timezone.localtime(due), translation.gettext("D d M H:i")) in row["text"]
        assert row["kind_label"] == flag.get_kind_display()
        assert row["raised"] == date_filter(timezone.localtime(flag.raised_at), "D j M, H:i")
        acknowledged = date_filter(timezone.localtime(flag.acknowledged_at), "D j M, H:i")
        assert acknowledged in row["acknowledged_by"]
        assert row["case_url"] == reverse("staff:case", args=[case.reference])
        assert row["dismiss_url"] is None


def test_a_row_escapes_names_inside_its_sentences(owner: User, case: Case) -> None:
    owner.first_name, owner.last_name = "<Ann>", "O'Neil"
    owner.save()
    [flag] = _flags(case, 1)
    flag = Flag.objects.select_related("case__owner", "case__customer").get(pk=flag.pk)
    [row] = flag_rows([flag])
    assert row["owner"] == "Owner: &lt;Ann&gt; O&#x27;Neil"


def test_the_page_translates_its_fixed_words_once(owner: User, case: Case, translations_asked: list[str]) -> None:
    """Flags with plain summaries: a page of seven rows asks for as many translations as a page
    of two (the column names, buttons and sentences of each row are translated once per page)."""
    calls = translations_asked
    client = signed_in(owner)
    client.get(FLAGS)  # the first request of a session does more (its preference)

    def translations_for(count: int) -> int:
        Flag.objects.all().delete()
        _flags(case, count)
        calls.clear()
        response = client.get(FLAGS)
        assert response.content.decode().count('<tr id="flag-') == count
        return len(calls)

    assert translations_for(7) == translations_for(2)


def test_a_flag_acknowledged_by_someone_since_deleted_shows_when_and_the_page_still_opens(
    owner: User, case: Case
) -> None:
    [flag] = _flags(case, 1)
    gone = User.objects.create_user("gone")
    Flag.objects.filter(pk=flag.pk).update(acknowledged_at=timezone.now(), acknowledged_by=gone)
    gone.delete()
    [row] = flag_rows([Flag.objects.select_related("acknowledged_by").get(pk=flag.pk)])
    assert row["acknowledged"] and row["acknowledged_by"] and "by" not in row["acknowledged_by"]
    assert signed_in(owner).get(FLAGS).status_code == 200
