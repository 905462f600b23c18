"""Webhooks: endpoints an administrator registers, and the deliveries (an outbox) sent to them.

A delivery row is written in the transaction of the change it reports (webhooks.services.outbox),
so a change that rolls back announces nothing, and sent by the `webhooks.deliver_due` task after
the commit. docs/webhooks.md describes what a receiver gets.
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class EventKind(models.TextChoices):
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_HANDED_OFF = "case.handed_off", _("Case handed off")
    CASE_RESOLVED = "case.resolved", _("Case resolved")
    CASE_CLOSED = "case.closed", _("Case closed")
    MESSAGE_RECEIVED = "message.received", _("Message received")
    MESSAGE_SENT = "message.sent", _("Message sent")
    PROMISE_MADE = "promise.made", _("Promise made")
    PROMISE_KEPT = "promise.kept", _("Promise kept")
    PROMISE_BROKEN = "promise.broken", _("Promise broken")
    FLAG_RAISED = "flag.raised", _("Flag raised")
    FLAG_ESCALATED = "flag.escalated", _("Flag escalated")
    JOB_STATUS_CHANGED = "job.status_changed", _("Job status changed")
    INCIDENT_REPORTED = "incident.reported", _("Incident reported")
    CLAIM_UPDATED = "claim.updated", _("Claim updated")


class Endpoint(models.Model):
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_("Where Steward posts the events: an http or https address on the internet."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_kinds = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(_("secret"), max_length=100, default=new_secret, editable=False)
    consecutive_failures = models.PositiveIntegerField(_("failed deliveries in a row"), default=0, editable=False)
    disabled_at = models.DateTimeField(
        _("turned off by Steward at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when too many deliveries in a row failed."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url


class Delivery(models.Model):
    """One event for one endpoint. Its id is the event id the receiver sees (payload `id`,
    header Steward-Delivery): the same on every retry, so a receiver can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    kind = models.CharField(_("event"), max_length=40, choices=EventKind.choices)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # A worker holds the rows it is sending until this moment; past it, another worker may take them.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response body (start)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    attempt_log = models.JSONField(_("attempts made"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]), name="webhook_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint} ({self.pk})"
