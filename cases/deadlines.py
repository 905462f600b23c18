"""Deadlines computed from one row: reply targets and confirmation windows."""

from datetime import datetime, timedelta

from django.conf import settings

from cases.models import Case


def reply_target(case: Case) -> timedelta:
    """How long a customer message may wait for a reply: tighter for vulnerable customers."""
    table = settings.VULNERABLE_RESPONSE_TARGET_HOURS if case.customer.is_vulnerable else settings.RESPONSE_TARGET_HOURS
    return timedelta(hours=table[case.priority])


def reply_due(case: Case, since: datetime) -> datetime:
    return since + reply_target(case)


def confirmation_due(resolved_at: datetime) -> datetime:
    return resolved_at + timedelta(days=settings.CONFIRMATION_WINDOW_DAYS)
