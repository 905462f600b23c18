"""What the API keeps of its own: one row per message a gateway delivered.

Tokens are DRF's (rest_framework.authtoken); everything else is written by the services.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Message, MessageChannel


class InboundRoute(models.TextChoices):
    REFERENCE = "reference", _("The case whose reference the message quotes")
    SENDER = "sender", _("The sender's open case")
    NEW_CASE = "new_case", _("A new case for a known sender")
    TRIAGE = "triage", _("A triage case for an unknown sender")


class InboundDelivery(models.Model):
    """A message a mail gateway or phone system delivered, filed once however often it is retried."""

    Route = InboundRoute

    key = models.CharField(
        _("key"),
        max_length=200,
        unique=True,
        help_text=_("The channel and the gateway's own id for the message (idempotency key)."),
    )
    payload_digest = models.CharField(
        _("payload digest"), max_length=64, help_text=_("SHA-256 of what was delivered, to spot a reused key.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_email = models.CharField(_("sender email"), max_length=254, blank=True)
    sender_phone = models.CharField(_("sender phone"), max_length=40, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="inbound_delivery", verbose_name=_("message")
    )
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The integration account; blank for Steward's own mail doors (pipe, mailbox poller)."),
        verbose_name=_("delivered by"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound delivery")
        verbose_name_plural = _("inbound deliveries")
        permissions = [("deliver_inbound", _("Deliver customer messages from a mail gateway or phone system"))]
        constraints = [
            models.CheckConstraint(condition=Q(route__in=InboundRoute.values), name="inbound_route_valid"),
            models.CheckConstraint(condition=Q(channel__in=MessageChannel.values), name="inbound_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.route}"
