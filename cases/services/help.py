"""Asking a colleague for help without a handoff: "@claire" in an internal note, or colleagues
chosen beside it.

Each colleague asked holds a help-request flag on the case (one open per case and colleague),
which reaches their notifications and their worklist although the case stays with its owner.
It clears when they answer on the case (a note, a call, a reply to the customer), when the case
is handed to them, when it closes, or when their account is deactivated.
"""

import re
from collections.abc import Iterable, Sequence
from functools import reduce
from operator import or_

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Flag, Message, TimelineDepartment, TimelineEvent
from cases.services.flags import flag_raise, flags_clear
from cases.services.timeline import Sentence, person_name, record_event
from portal.errors import RuleViolation

KIND = Flag.Kind.HELP_REQUESTED
MAX_COLLEAGUES = 10

# "@" starts a mention only where a word does not continue before it, so the "@" of an e-mail
# address (jeanne@example.org) is left alone; a name ends on a letter or digit, so the full stop
# of "ask @claire." is not part of it.
MENTION = re.compile(r"(?<![\w.+@-])@(\w(?:[\w.+-]*\w)?)")

# Translators: why a help request was cleared, shown as "Flag cleared (answered): <the flag>".
ANSWERED = Sentence(gettext_noop("answered"))
# Translators: why a help request was cleared, shown as "Flag cleared (case handed to them): <the flag>".
HANDED_TO_THEM = Sentence(gettext_noop("case handed to them"))
# Translators: why a help request was cleared, shown as "Flag cleared (account deactivated): <the flag>".
DEACTIVATED = Sentence(gettext_noop("account deactivated"))


def subject_key(case: Case, colleague: User) -> str:
    return f"help:case:{case.pk}:user:{colleague.pk}"


def mentioned_names(body: str) -> list[str]:
    """The @names in a text, each once (names are compared without case), in order."""
    seen: dict[str, str] = {}
    for name in MENTION.findall(body or ""):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def _active_staff() -> Q:
    return Q(is_active=True, staff_profile__isnull=False)


def _by_name(names: list[str]) -> tuple[list[User], list[str]]:
    """Active staff for each name, and the names that match nobody (or only inactive accounts,
    customers, contractors). An exact username wins over one that differs only in case."""
    if not names:
        return [], []
    candidates = list(User.objects.filter(reduce(or_, (Q(username__iexact=n) for n in names)), _active_staff()))
    found, unknown = [], []
    for name in names:
        exact = [u for u in candidates if u.username == name]
        loose = [u for u in candidates if u.username.lower() == name.lower()]
        match = exact or loose
        if len(match) == 1:
            found.append(match[0])
        else:
            unknown.append(name)
    return found, unknown


def colleagues_to_ask(*, actor: User, case: Case, body: str, ask_help: Sequence[User] = ()) -> list[User]:
    """The colleagues a note asks for help: its @names and those chosen beside it, each once,
    never the writer. Refuses, naming them, any @name or choice that is not an active member
    of staff: a request for help is never dropped without a word."""
    names = mentioned_names(body)
    by_name, unknown = _by_name(names)
    if unknown:
        raise RuleViolation(
            # Translators: %(names)s lists what followed an "@" in the note, e.g. "@claire, @bob".
            _(
                "Nobody among the active staff is called %(names)s. Check the spelling of the username, "
                "or remove the @ if you did not mean to ask a colleague for help."
            )
            % {"names": ", ".join(f"@{n}" for n in unknown)},
            field="body",
        )
    chosen = list(ask_help)
    if chosen:
        active = User.objects.filter(_active_staff(), pk__in=[u.pk for u in chosen])
        active_ids = set(active.values_list("pk", flat=True))
        gone = [person_name(u) for u in chosen if u.pk not in active_ids]
        if gone:
            raise RuleViolation(
                _("%(names)s cannot be asked for help: not an active member of staff.") % {"names": ", ".join(gone)},
                field="ask_help",
            )
    colleagues: dict[int, User] = {}
    for user in [*by_name, *chosen]:
        if user.pk != actor.pk:  # asking yourself needs no flag
            colleagues.setdefault(user.pk, user)
    if not colleagues:
        return []
    field = "ask_help" if chosen else "body"
    if len(colleagues) > MAX_COLLEAGUES:
        raise RuleViolation(
            _("Ask at most %(max)s colleagues in one note.") % {"max": MAX_COLLEAGUES},
            field=field,
        )
    if case.status == Case.Status.CLOSED:
        raise RuleViolation(
            _("Case %(reference)s is closed: nobody can be asked for help on it any more.")
            % {"reference": case.reference},
            field=field,
        )
    return list(colleagues.values())


def help_ask(*, actor: User, case: Case, colleagues: Iterable[User], note: Message, excerpt: str) -> int:
    """Record each ask on the timeline and flag the colleague; called inside the note's
    transaction, with `colleagues` from colleagues_to_ask. Returns the flags raised: a
    colleague already asked on this case and not yet answering gets no second flag."""
    raised = 0
    for colleague in colleagues:
        key = subject_key(case, colleague)
        record_event(
            case=case,
            kind=TimelineEvent.Kind.HELP_REQUESTED,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=Sentence(
                gettext_noop("%(asker)s asked %(colleague)s for help."),
                {"asker": person_name(actor), "colleague": person_name(colleague)},
            ),
            subject_key=key,
            data={"colleague_id": colleague.pk, "message_id": note.pk},
        )
        flag = flag_raise(
            kind=KIND,
            subject_key=key,
            summary=Sentence(
                gettext_noop("%(asker)s asks %(colleague)s for help on %(reference)s: %(text)s"),
                {
                    "asker": person_name(actor),
                    "colleague": person_name(colleague),
                    "reference": case.reference,
                    "text": excerpt,
                },
            ),
            case=case,
            assignee=colleague,
        )
        raised += flag is not None
    return raised


def help_requests_clear(*, case: Case, colleague: User, why: Sentence, actor: User | None) -> int:
    """The colleague answered on the case, or took it: their help request on it is done."""
    return flags_clear(kind=KIND, subject_key=subject_key(case, colleague), note=why, actor=actor)


def help_requests_clear_all(*, case: Case, why: Sentence, actor: User | None) -> int:
    """Every open help request on the case (it closed: nobody can help on it any more)."""
    keys = Flag.objects.filter(case=case, kind=KIND, cleared_at__isnull=True).values_list("subject_key", flat=True)
    return sum(flags_clear(kind=KIND, subject_key=key, note=why, actor=actor) for key in list(keys))


def help_requests_clear_for(*, colleague: User, why: Sentence, actor: User | None) -> int:
    """Every open help request the colleague holds (their account is being deactivated)."""
    keys = Flag.objects.filter(assignee=colleague, kind=KIND, cleared_at__isnull=True).values_list(
        "subject_key", flat=True
    )
    return sum(flags_clear(kind=KIND, subject_key=key, note=why, actor=actor) for key in list(keys))
