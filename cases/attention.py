"""The inputs of the worklist's attention (cases.models.attention_rule), counted from a case's
flags and promises: one definition, read by the worklist's selectors, written onto the case by
cases.services.attention, and held against the stored values by the tests.

Each is an expression for a query whose outer row is a case. This module imports only the models,
so that the services that keep the stored values and the selectors both may import it.
"""

from datetime import datetime

from django.db import models
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cases.models import Flag, Promise


def owners_flags() -> QuerySet[Flag]:
    """The flags that ask something of the case's owner: a help request asks it of a colleague,
    and shows on that colleague's worklist instead (cases.selectors.help_requests_for)."""
    return Flag.objects.exclude(kind=Flag.Kind.HELP_REQUESTED)


def owners_flag_level() -> Coalesce:
    """The highest level of the case's open flags that ask something of its owner, 0 when none."""
    top = owners_flags().filter(case=OuterRef("pk"), cleared_at__isnull=True).order_by("-level").values("level")[:1]
    return Coalesce(Subquery(top, output_field=IntegerField()), 0)


def earliest_promise_due() -> Subquery:
    """When the case's earliest open promise is due, NULL when none."""
    due = (
        Promise.objects.filter(case=OuterRef("pk"), status=Promise.Status.OPEN).order_by("due_at").values("due_at")[:1]
    )
    return Subquery(due, output_field=models.DateTimeField())


def promise_overdue(now: datetime) -> Exists:
    """Whether an open promise of the case is past due at `now`."""
    return Exists(Promise.objects.filter(case=OuterRef("pk"), status=Promise.Status.OPEN, due_at__lt=now))
