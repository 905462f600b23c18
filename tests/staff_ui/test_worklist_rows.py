"""The worklist's rows (staff.views.worklist_rows): worked out once, they say what the case and
Django's own filters and tags say, and the page translates its fixed words once, not once per row."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cases import selectors
from cases.models import Case, Flag, Handoff
from cases.services import flag_escalate, flag_raise, message_receive, promise_make
from people.models import Customer
from staff.views.worklist_rows import handoff_rows, help_request_rows, worklist_row_words, worklist_rows
from tests.factories import make_case
from tests.staff_ui.conftest import signed_in

WORKLIST = reverse("staff:worklist")


def _rendered(source: str, **values: object) -> str:
    """What the template this module replaced wrote for the same values."""
    return Template("{% load i18n steward_time %}" + source).render(Context(values))


def _page_rows(owner: User) -> list:
    page = selectors.worklist_for(owner, owner=owner, filters=selectors.WorklistFilters())
    return worklist_rows(page.items, selectors.open_flags_of(case.pk for case in page.items))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_row_says_what_the_case_and_the_template_tags_say(language: str, owner: User, case: Case) -> None:
    Customer.objects.filter(pk=case.customer_id).update(
        full_name="Zoë <O'Brien>", vulnerability_notes="Hard of hearing"
    )
    Case.objects.filter(pk=case.pk).update(human_impact="No heating", priority="high")
    escalated = flag_raise(kind="silent_case", subject_key="case:1", summary="No contact", case=case)
    assert escalated is not None
    flag_escalate(flag=escalated)
    flag_raise(kind="unanswered_message", subject_key="message:1", summary="Unanswered", case=case)
    earlier = timezone.now() - timedelta(hours=3)
    promise_make(actor=owner, case=case, text="Call back", due_at=earlier + timedelta(hours=1), now=earlier)
    message_receive(case=case, body="Any news?")
    with translation.override(language), timezone.override(ZoneInfo("America/New_York")):
        [row] = _page_rows(owner)
        fresh = Case.objects.select_related("customer").get(pk=case.pk)
        flags = list(Flag.objects.filter(case=case, cleared_at__isnull=True).order_by("-level", "pk"))
        assert [flag.level for flag in flags] == [2, 1]
        assert row["reference"] == fresh.reference
        assert row["url"] == reverse("staff:case", args=[fresh.reference])
        assert row["subject"] == fresh.subject
        assert row["human_impact"] == "No heating"
        assert row["customer"] == "Zoë <O'Brien>"  # escaped by the template, as before
        assert row["vulnerable"] is True
        assert [(need["danger"], need["kind_label"]) for need in row["flags"]] == [
            (True, flags[0].get_kind_display()),
            (False, flags[1].get_kind_display()),
        ]
        for need, flag in zip(row["flags"], flags, strict=True):
            assert need["level"] == _rendered(
                "{% blocktranslate trimmed with level=level %}Flag level {{ level }}{% endblocktranslate %}",
                level=flag.level,
            )
        assert row["promise_overdue"] is True
        assert row["waiting_since"] == _rendered(
            '{% blocktranslate trimmed with date=since|when:"D j M, H:i" %}since {{ date }}{% endblocktranslate %}',
            since=fresh.awaiting_reply_since,
        )
        assert fresh.awaiting_reply_since is not None
        assert date_filter(timezone.localtime(fresh.awaiting_reply_since), "D j M, H:i") in row["waiting_since"]
        assert row["nothing_urgent"] is False
        assert row["status_label"] == fresh.get_status_display()
        assert (row["priority"], row["priority_label"]) == ("high", fresh.get_priority_display())
        assert row["last_activity"] == date_filter(timezone.localtime(fresh.last_activity_at), "D j M Y, H:i")
        words = worklist_row_words()
        assert words["col_needs"] == translation.pgettext("column: what the case needs from its owner", "Needs")
        assert words["nothing_urgent"] == _rendered('{% translate "Nothing urgent" %}')


def test_a_quiet_case_needs_nothing_urgent(owner: User, case: Case) -> None:
    [row] = _page_rows(owner)
    assert row["flags"] == [] and not row["promise_overdue"] and row["waiting_since"] == ""
    assert row["nothing_urgent"] is True
    assert row["vulnerable"] is case.customer.is_vulnerable


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_cards_above_say_what_the_template_said(
    language: str, owner: User, other_agent: User, case: Case, other_case: Case
) -> None:
    other_agent.first_name, other_agent.last_name = "<Ann>", "O'Neil"
    other_agent.save()
    Handoff.objects.create(
        case=case, from_user=other_agent, to_user=owner, reason="Holiday <cover>", summary="s", created_by=other_agent
    )
    flag_raise(kind="help_requested", subject_key="help:1", summary="Help <me>", case=other_case, assignee=owner)
    with translation.override(language), timezone.override(ZoneInfo("Europe/Paris")):
        [handoff] = selectors.handoffs_waiting_for(owner)
        [help_flag] = selectors.help_requests_for(owner)
        [handoff_row] = handoff_rows([handoff])
        [help_row] = help_request_rows([help_flag])
        assert handoff_row["url"] == reverse("staff:case", args=[case.reference]) + "#handoff"
        assert handoff_row["line"] == _rendered(
            "{% blocktranslate trimmed with name=h.from_user.get_full_name|default:h.from_user.username "
            'date=h.created_at|when:"D j M, H:i" reason=h.reason %}'
            "from {{ name }}, {{ date }}: {{ reason }}{% endblocktranslate %}",
            h=handoff,
        )
        assert "&lt;Ann&gt; O&#x27;Neil" in handoff_row["line"] and "Holiday &lt;cover&gt;" in handoff_row["line"]
        assert help_row["url"] == reverse("staff:case", args=[other_case.reference]) + "#help"
        assert help_row["text"] == help_flag.text
        assert help_row["line"] == _rendered(
            "{% blocktranslate trimmed with customer=flag.case.customer.full_name "
            "owner=flag.case.owner.get_full_name|default:flag.case.owner.username iso=flag.raised_at|when:'c' "
            'date=flag.raised_at|when:"D j M, H:i" %}{{ customer }} · owner {{ owner }} · asked '
            '<time datetime="{{ iso }}">{{ date }}</time>{% endblocktranslate %}',
            flag=help_flag,
        )


def test_the_page_translates_its_fixed_words_once_and_reads_each_row_in_no_query(
    owner: User, case: Case, translations_asked: list[str]
) -> None:
    """Cases each with two open flags and a customer waiting: a page of seven rows asks for as
    many translations and queries as a page of two (no flag nor deferred column read per row)."""
    customer = case.customer
    Case.objects.all().delete()
    calls = translations_asked
    client = signed_in(owner)
    client.get(WORKLIST)  # the first request of a session does more (its preference)
    made = 0

    def cost_of(count: int) -> tuple[int, int]:
        nonlocal made
        Case.objects.all().delete()
        for _ in range(count):
            made += 1
            new = make_case(customer=customer, owner=owner, subject=f"Case {made}")
            flag_raise(kind="silent_case", subject_key=f"case:{made}", summary="No contact", case=new)
            flag_raise(kind="unanswered_message", subject_key=f"message:{made}", summary="Unanswered", case=new)
            message_receive(case=new, body="Any news?")
        calls.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(WORKLIST)
        page = response.content.decode()
        assert page.count('<ul class="needs">') == count
        assert page.count("Flag level 1") == 2 * count
        return len(calls), len(queries)

    assert cost_of(7) == cost_of(2)
