"""Timeline events and flags keep a language-neutral sentence and read in each reader's language;
the summary column keeps the English, and a row that cannot be rendered shows its summary."""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polib
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext_noop

from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services import case_set_status, flag_raise
from cases.services.timeline import DUE_FORMAT, Sentence, choice, moment, record_event

FRENCH = [
    ("Status: %(old)s → %(new)s", "Statut : %(old)s → %(new)s", ""),
    ("New", "Nouveau", "case status"),
    ("In progress", "En cours", ""),
    ("Flag raised: %(flag)s", "Alerte levée : %(flag)s", ""),
    ("%(case)s: job %(job)s cancelled %(count)s times", "%(case)s : intervention %(job)s annulée %(count)s fois", ""),
    ("Promise: “%(text)s” — due %(due)s", "Engagement : « %(text)s » — échéance %(due)s", ""),
    ("D d M Y, H:i", "D j F Y, H:i", ""),
    # A translator's typo: the placeholder no longer matches the English one.
    ("Reply: %(text)s", "Réponse : %(texte)s", ""),
]


@pytest.fixture
def french(tmp_path: Path) -> Iterator[None]:
    """A small compiled French catalogue, found before the project's own (not compiled in tests)."""
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n > 1);"}
    for msgid, msgstr, context in FRENCH:
        catalogue.append(polib.POEntry(msgid=msgid, msgstr=msgstr, msgctxt=context or None))
    messages = tmp_path / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    catalogue.save_as_mofile(str(messages / "django.mo"))
    # Changing LOCALE_PATHS makes Django drop its loaded catalogues, before and after.
    with override_settings(LOCALE_PATHS=[str(tmp_path)]):
        yield


def test_one_event_reads_in_french_to_one_reader_and_in_english_to_another(
    french: None, owner: User, case: Case
) -> None:
    case_set_status(actor=owner, case=case, status=Case.Status.IN_PROGRESS)
    event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.STATUS_CHANGED)
    assert event.summary == "Status: New → In progress"
    assert event.data["sentence"] == {
        "text": "Status: %(old)s → %(new)s",
        "params": {
            "old": {"choice": "cases.Case.status", "value": "new"},
            "new": {"choice": "cases.Case.status", "value": "in_progress"},
        },
    }
    with translation.override("fr"):
        assert event.text == "Statut : Nouveau → En cours"
    with translation.override("en"):
        assert event.text == "Status: New → In progress"


def test_the_english_summary_does_not_depend_on_the_writer_language(french: None, owner: User, case: Case) -> None:
    with translation.override("fr"):
        case_set_status(actor=owner, case=case, status=Case.Status.IN_PROGRESS)
    event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.STATUS_CHANGED)
    assert event.summary == "Status: New → In progress"


def test_a_choice_label_follows_the_active_language(french: None, owner: User, case: Case) -> None:
    event = record_event(
        case=case,
        kind=TimelineEvent.Kind.STATUS_CHANGED,
        department=TimelineDepartment.SUPPORT,
        actor=owner,
        summary=Sentence(
            gettext_noop("Status: %(old)s → %(new)s"), {"old": "?", "new": choice("cases.Case.status", "new")}
        ),
    )
    with translation.override("fr"):
        assert event.text == "Statut : ? → Nouveau"
    with translation.override("en"):
        assert event.text == "Status: ? → New"


def test_a_moment_is_written_in_the_reader_language(french: None, owner: User, case: Case) -> None:
    due = datetime(2030, 3, 4, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    event = record_event(
        case=case,
        kind=TimelineEvent.Kind.PROMISE_MADE,
        department=TimelineDepartment.SUPPORT,
        actor=owner,
        summary=Sentence(
            gettext_noop("Promise: “%(text)s” — due %(due)s"), {"text": "Call back", "due": moment(due, DUE_FORMAT)}
        ),
        data={"due_at": due.isoformat()},
    )
    # The English is what the services wrote before sentences were kept.
    assert event.summary == f"Promise: “Call back” — due {due:%a %d %b %Y, %H:%M}"
    assert event.data["due_at"] == due.isoformat()
    with translation.override("fr"):
        assert event.text == "Engagement : « Call back » — échéance lun 4 mars 2030, 14:00"


def test_a_flag_and_its_timeline_event_read_in_the_reader_language(french: None, owner: User, case: Case) -> None:
    flag = flag_raise(
        kind=Flag.Kind.REPEATED_CANCELLATION,
        subject_key="job:1",
        case=case,
        summary=Sentence(
            gettext_noop("%(case)s: job %(job)s cancelled %(count)s times"),
            {"case": case.reference, "job": "JOB-1", "count": 2},
        ),
    )
    assert flag is not None
    assert flag.summary == f"{case.reference}: job JOB-1 cancelled 2 times"
    assert flag.notifications.get().summary == flag.summary
    raised = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.FLAG_RAISED)
    assert raised.summary == f"Flag raised: {case.reference}: job JOB-1 cancelled 2 times"
    with translation.override("fr"):
        assert flag.text == f"{case.reference} : intervention JOB-1 annulée 2 fois"
        assert raised.text == f"Alerte levée : {case.reference} : intervention JOB-1 annulée 2 fois"
    with translation.override("en"):
        assert flag.text == flag.summary


def test_an_old_row_without_a_sentence_shows_its_summary(french: None, owner: User, case: Case) -> None:
    old = TimelineEvent.objects.create(
        case=case,
        kind=TimelineEvent.Kind.NOTE,
        department=TimelineDepartment.SUPPORT,
        actor=owner,
        actor_label="Olivia Owner",
        summary="Internal note: written before sentences were kept",
    )
    with translation.override("fr"):
        assert old.text == "Internal note: written before sentences were kept"


@pytest.mark.parametrize(
    "sentence",
    [
        {"text": "Reply: %(text)s", "params": {}},  # a parameter missing from the row
        {"text": "Reply: %(text)s", "params": {"text": {"choice": "cases.Case.status", "value": "gone"}}},
        {"text": "Reply: %(text)s", "params": {"text": {"unknown": "kind"}}},
    ],
)
def test_a_sentence_that_cannot_be_rendered_shows_the_english_summary(
    french: None, owner: User, case: Case, sentence: dict
) -> None:
    event = TimelineEvent.objects.create(
        case=case,
        kind=TimelineEvent.Kind.MESSAGE_OUT,
        department=TimelineDepartment.SUPPORT,
        actor=owner,
        actor_label="Olivia Owner",
        summary="Reply: Hello",
        data={"sentence": sentence},
    )
    with translation.override("fr"):
        assert event.text == "Reply: Hello"


def test_a_translation_with_a_mistyped_placeholder_shows_the_english_summary(
    french: None, owner: User, case: Case
) -> None:
    event = record_event(
        case=case,
        kind=TimelineEvent.Kind.MESSAGE_OUT,
        department=TimelineDepartment.SUPPORT,
        actor=owner,
        summary=Sentence(gettext_noop("Reply: %(text)s"), {"text": "Hello"}),
    )
    with translation.override("fr"):
        assert event.text == "Reply: Hello"
    with translation.override("en"):
        assert event.text == "Reply: Hello"
