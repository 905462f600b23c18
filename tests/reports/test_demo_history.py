"""`load_demo --volume N` writes a month of history the reports can show: late replies and their
flags, promises kept late or broken, handoffs acknowledged, rejected resolutions, surveys."""

from io import StringIO

import pytest
from django.core.management import call_command

from cases.demo.volume import VOLUME_EMAIL_DOMAIN
from cases.models import Flag, Message, Promise, Survey, TimelineEvent
from reports import selectors
from reports.period import Period

pytestmark = pytest.mark.django_db


def test_the_volume_history_fills_every_case_report(settings):
    settings.DEBUG = True
    call_command("load_demo", volume=150, seed=4, stdout=StringIO())
    volume = {"case__customer__email__endswith": VOLUME_EMAIL_DOMAIN}

    surveys = Survey.objects.filter(**volume).select_related("case__customer")
    assert surveys.exists()
    assert all(survey.submitted_by_id == survey.case.customer.user_id for survey in surveys)
    flags = Flag.objects.filter(**volume)
    assert not flags.filter(cleared_at__isnull=True).exists()
    for flag in flags.filter(kind=Flag.Kind.STALE_PROMISE):
        promise = Promise.objects.get(pk=flag.subject_key.split(":")[1])
        assert promise.case_id == flag.case_id and promise.resolved_at > promise.due_at
    assert flags.filter(kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key__startswith="case:").exists()
    assert TimelineEvent.objects.filter(kind="reopened", rejected_resolution=True, **volume)
    assert Message.objects.filter(answered_late=True, **volume).exists()

    reports = {
        report.table.key: report
        for report in selectors.report_tables(period=Period.last_days(), owners=None, by="department")
    }
    for key in ("responses", "promises", "flags", "handoffs", "resolutions", "surveys"):
        assert reports[key].rows, key
