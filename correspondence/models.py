"""What Steward says to customers outside its own pages, and what comes back by e-mail.

- `OutboundEmail`: the outbox. A row is written in the transaction of the record it tells
  about, and sent after the commit; a conditional claim makes sure one row is sent once.
- `CustomerNotice`: one telling of the customer (or a delegate's copy), in the channel they
  prefer: an e-mail, a "something is waiting" e-mail, a call task or a printable letter.
- `InboundEmail`: every raw e-mail received, stored before it is parsed, with what became of it.

Rows are written only by `correspondence.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Message, Promise


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class NoticeTopic(models.TextChoices):
    REPLY = "reply", _("A reply from staff")
    NEW_OWNER = "new_owner", _("A new owner for the case")
    PROMISE = "promise", _("A promise made to the customer")
    VISIT = "visit", _("A visit booked, moved or cancelled")
    ALERT = "alert", _("A service alert that affects them")
    CONFIRMATION = "confirmation", _("Is it fixed?")
    SURVEY = "survey", _("How did we do?")


class NoticeChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PORTAL_NOTICE = "portal_notice", _("E-mail saying something is waiting on the portal")
    CALL_TASK = "call_task", _("Call task for the owner")
    LETTER = "letter", _("Letter for the owner to post")
    PORTAL_ONLY = "portal_only", _("On the portal only (no address to write to)")


def letter_path(instance: "CustomerNotice", filename: str) -> str:
    return f"letters/{instance.case_id}/{filename}"


class CustomerNotice(models.Model):
    """One telling of the customer (or a delegate's copy) about something on their case."""

    Topic = NoticeTopic
    Channel = NoticeChannel

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient_name = models.CharField(_("recipient"), max_length=200)
    is_copy = models.BooleanField(_("copy for a delegate"), default=False)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("what to tell them"), help_text=_("In the recipient's language."))
    task = models.OneToOneField(
        Promise,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notice",
        verbose_name=_("task"),
        help_text=_("The call or letter the owner owes, watched like any promise."),
    )
    letter = models.FileField(_("letter"), upload_to=letter_path, blank=True)
    subject_key = models.CharField(max_length=120, blank=True, help_text=_("The record it tells about."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")
        constraints = [
            models.CheckConstraint(condition=_in("topic", NoticeTopic), name="notice_topic_valid"),
            models.CheckConstraint(condition=_in("channel", NoticeChannel), name="notice_channel_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="notice_text_required"),
            models.CheckConstraint(condition=~Q(channel="letter") | ~Q(letter=""), name="notice_letter_has_file"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_topic_display()} ({self.get_channel_display()})"


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not delivered")


# Rows the sender may claim: queued and due. The partial index holds nothing else.
OUTBOX_WAITING = Q(status="queued")


class OutboundEmail(models.Model):
    """One e-mail in the outbox, with the threading headers it leaves with."""

    Status = OutboundStatus

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="emails")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="emails", verbose_name=_("message")
    )
    notice = models.ForeignKey(
        CustomerNotice,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        verbose_name=_("notice"),
    )
    to_address = models.EmailField(_("to"))
    to_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("plain text"))
    body_html = models.TextField(_("HTML"))
    header_message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=250, blank=True)
    references = models.TextField(_("References"), blank=True)
    reply_to = models.CharField(_("Reply-To"), max_length=254)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_waiting", condition=OUTBOX_WAITING),
            models.Index(fields=["claimed_at"], name="outbox_sending", condition=Q(status="sending")),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", OutboundStatus), name="outbox_status_valid"),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_date"),
            models.CheckConstraint(
                condition=~Q(status="failed") | (Q(failed_at__isnull=False) & ~Q(failure_reason="")),
                name="outbox_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False), name="outbox_sending_is_claimed"
            ),
            models.CheckConstraint(condition=~Q(to_address=""), name="outbox_has_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} → {self.to_address}: {self.subject}"


class InboundDoor(models.TextChoices):
    PIPE = "pipe", _("Mail server pipe (mail_ingest)")
    MAILBOX = "mailbox", _("Mailbox poller (IMAP)")
    WEBHOOK = "webhook", _("Inbound webhook")


class InboundOutcome(models.TextChoices):
    RECEIVED = "received", _("Stored, not yet filed")
    FILED = "filed", _("Filed on a case")
    TRIAGE = "triage", _("Filed on a triage case")
    AUTOMATIC = "automatic", _("Automatic reply, recorded")
    BOUNCE = "bounce", _("Delivery failure report")
    UNREADABLE = "unreadable", _("Could not be read; kept on a triage case")


def raw_path(instance: "InboundEmail", filename: str) -> str:
    return f"mail/raw/{filename}"


class InboundEmail(models.Model):
    """A raw e-mail as it arrived, kept whole before anything else happens to it."""

    Door = InboundDoor
    Outcome = InboundOutcome

    key = models.CharField(
        max_length=250, unique=True, help_text=_("The Message-ID, or the SHA-256 of the raw bytes when it has none.")
    )
    door = models.CharField(_("received through"), max_length=10, choices=Door.choices)
    raw = models.FileField(_("original message"), upload_to=raw_path)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64, db_index=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.RECEIVED)
    note = models.TextField(_("note"), blank=True)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_email"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails")
    bounced_email = models.ForeignKey(
        OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="bounces"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    # Not a column: correspondence.services.inbound.mail_receive says whether this e-mail had been received before.
    duplicate: bool

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        indexes = [
            models.Index(fields=["received_at"], name="inbound_unprocessed", condition=Q(processed_at__isnull=True))
        ]
        constraints = [
            models.CheckConstraint(condition=_in("door", InboundDoor), name="inbound_door_valid"),
            models.CheckConstraint(condition=_in("outcome", InboundOutcome), name="inbound_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_outcome_display()})"


def _any_language() -> list[tuple[str, str]]:
    return [("", _("Any language")), *settings.LANGUAGES]


class CannedReply(models.Model):
    """A reply a department writes often, started from on the case page and edited before sending.

    Its text may hold {customer_name}, {owner_name}, {case_reference} and {next_promise}, filled in
    for the case when it is inserted into the reply box."""

    department = models.ForeignKey(
        "people.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        verbose_name=_("department"),
        help_text=_("Blank: offered to every department."),
    )
    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=_any_language,
        help_text=_("Offered first to customers who read this language."),
    )
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {customer_name}, {owner_name}, {case_reference}, {next_promise}."),
    )
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="canned_reply_title_required"),
            models.CheckConstraint(condition=~Q(body=""), name="canned_reply_body_required"),
        ]

    def __str__(self) -> str:
        return self.title
