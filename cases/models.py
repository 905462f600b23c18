"""Cases and everything attached to them: handoffs, sales, claims, messages, promises,
flags, the timeline, service alerts and surveys.

Rows are written only by `cases.services`; constraints here are the database's half of
the invariants in DESIGN.md section 4.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from people.models import Customer, Service


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class TimelineDepartment(models.TextChoices):
    """The four record families of a case, plus the system itself, for timeline filters."""

    SALES = "sales", "Sales"
    FIELD = "field", "Contractor"
    INSURANCE = "insurance", "Insurance"
    SUPPORT = "support", "Support"
    SYSTEM = "system", "Steward"


class ReferenceCounter(models.Model):
    """Last number used for human case references, one row per year (locked when drawn)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ServiceAlertKind(models.TextChoices):
    MAINTENANCE = "maintenance", "Planned maintenance"
    OUTAGE = "outage", "Known outage"


class ServiceAlert(models.Model):
    Kind = ServiceAlertKind

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="alerts")
    area = models.CharField(max_length=60, blank=True, db_index=True, help_text="Blank means every area.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Blank while the end is not known.")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=_in("kind", ServiceAlertKind), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="alert_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_CUSTOMER = "waiting_customer", "Waiting for the customer"
    WAITING_CONTRACTOR = "waiting_contractor", "Waiting for the contractor"
    WAITING_INSURER = "waiting_insurer", "Waiting for the insurer"
    RESOLVED = "resolved", "Resolved, awaiting confirmation"
    CLOSED = "closed", "Closed"


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseCloseReason(models.TextChoices):
    CONFIRMED = "confirmed", "Customer confirmed the resolution"
    WINDOW_ELAPSED = "window_elapsed", "No answer within the confirmation window after a reminder"


# What the watchers' partial indexes hold: open rows whose due moment has not been dealt with.
# The watcher queries repeat these exact conditions so the database can use the indexes.
REPLY_UNFLAGGED = (
    Q(reply_due_at__isnull=False)
    & ~Q(status="closed")
    & (Q(reply_flagged_due_at__isnull=True) | Q(reply_flagged_due_at__lt=F("reply_due_at")))
)
# Two inequalities rather than NOT IN: SQLite matches a partial index term by term, and only
# recognises these forms when the query binds its values as parameters.
_SILENT_WATCHED = ~Q(status="resolved") & ~Q(status="closed")
SILENT_NEVER_CONTACTED = _SILENT_WATCHED & Q(last_outbound_at__isnull=True, silent_flagged_at__isnull=True)
SILENT_SINCE_CONTACT = (
    _SILENT_WATCHED
    & Q(last_outbound_at__isnull=False)
    & (Q(silent_flagged_at__isnull=True) | Q(silent_flagged_at__lt=F("last_outbound_at")))
)


class Case(models.Model):
    Status = CaseStatus

    Priority = CasePriority

    CloseReason = CaseCloseReason

    OPEN_STATUSES = [s for s in CaseStatus.values if s != CaseStatus.CLOSED]
    WORKING_STATUSES = [s for s in CaseStatus.values if s not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)]

    reference = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    human_impact = models.CharField(max_length=200, blank=True, help_text='What it does to the person: "no heating".')
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        help_text="The service the case is about, if any.",
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    linked_alerts = models.ManyToManyField(ServiceAlert, blank=True, related_name="cases")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Sort and watch keys kept on the row so lists and watchers never aggregate per row.
    last_activity_at = models.DateTimeField(db_index=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    awaiting_reply_since = models.DateTimeField(
        null=True, blank=True, help_text="When the oldest unanswered customer message arrived."
    )
    reply_due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_summary = models.TextField(blank=True)
    confirmation_due_at = models.DateTimeField(null=True, blank=True)
    confirmation_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    # Watcher markers: which due moment a watcher has already dealt with, so a scan reads
    # only rows that became due since (the partial indexes below hold nothing else).
    reply_flagged_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The reply deadline the unanswered-message watcher last flagged."
    )
    silent_flagged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the silent-case watcher last flagged this case."
    )

    class Meta:
        ordering = ["-last_activity_at"]
        permissions = [
            ("act_for_customer", "Act for the customer on this case (delegate)"),
            ("work_on_case", "Work on this case as an added specialist"),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="case_owner_status"),
            models.Index(
                fields=["reply_due_at"],
                name="case_reply_due_open",
                condition=Q(reply_due_at__isnull=False),
            ),
            models.Index(
                fields=["confirmation_due_at"],
                name="case_confirmation_due",
                condition=Q(status="resolved"),
            ),
            # The same rows with the status leading, so that SQLite's planner (which has no
            # statistics) prefers it to the plain status index for the resolution watcher.
            models.Index(
                fields=["status", "confirmation_due_at"],
                name="case_resolution_window",
                condition=Q(status="resolved"),
            ),
            models.Index(fields=["reply_due_at"], name="case_reply_due_unflagged", condition=REPLY_UNFLAGGED),
            models.Index(fields=["created_at"], name="case_silent_never_contacted", condition=SILENT_NEVER_CONTACTED),
            models.Index(fields=["last_outbound_at"], name="case_silent_since_contact", condition=SILENT_SINCE_CONTACT),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", CaseStatus), name="case_status_valid"),
            models.CheckConstraint(condition=_in("priority", CasePriority), name="case_priority_valid"),
            models.CheckConstraint(condition=~Q(reference=""), name="case_reference_required"),
            models.CheckConstraint(condition=~Q(subject=""), name="case_subject_required"),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False, confirmation_due_at__isnull=False),
                name="case_resolved_has_dates",
            ),
            # Invariant 3: closed only on the customer's confirmation, or after the window
            # in which a reminder was sent.
            models.CheckConstraint(
                condition=~Q(status="closed")
                | (
                    Q(closed_at__isnull=False, resolved_at__isnull=False)
                    & (
                        Q(close_reason="confirmed")
                        | Q(close_reason="window_elapsed", confirmation_reminder_sent_at__isnull=False)
                    )
                ),
                name="case_closed_only_by_rule",
            ),
            models.CheckConstraint(
                condition=Q(status="closed") | Q(closed_at__isnull=True, close_reason=""),
                name="case_open_not_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class Handoff(models.Model):
    """The only way ownership changes. The receiver reads the summary and acknowledges."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handoffs")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_given")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received")
    reason = models.CharField(max_length=200)
    summary = models.TextField(help_text="What the next owner must know first.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_user=F("to_user")), name="handoff_to_someone_else"),
            models.CheckConstraint(condition=~Q(summary=""), name="handoff_summary_required"),
            models.CheckConstraint(condition=~Q(reason=""), name="handoff_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.from_user} → {self.to_user}"


class Sale(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sales")
    product = models.CharField(max_length=200)
    plan = models.CharField(max_length=200, blank=True)
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales_made")
    pending_offers = models.TextField(blank=True)
    sold_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sold_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_price__isnull=True) | Q(monthly_price__gte=0), name="sale_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.product


class InsuranceClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FILED = "filed", "Filed"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the insurer"
    ASSESSING = "assessing", "Being assessed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    CLOSED = "closed", "Closed"


class InsuranceClaimPolicyHolder(models.TextChoices):
    CUSTOMER = "customer", "The customer's own policy"
    COMPANY = "company", "Our policy"
    CONTRACTOR = "contractor", "The contractor's policy"


# Claims whose current next-action date the stalled-claim watcher has not checked yet.
CLAIM_STALL_UNCHECKED = (
    ~Q(status="closed")
    & Q(next_action_due__isnull=False)
    & (
        Q(stall_checked_due__isnull=True)
        | Q(stall_checked_due__lt=F("next_action_due"))
        | Q(stall_checked_due__gt=F("next_action_due"))
    )
)


class InsuranceClaim(models.Model):
    Status = InsuranceClaimStatus

    PolicyHolder = InsuranceClaimPolicyHolder

    # Allowed moves of the claim's state machine (DESIGN.md section 3).
    TRANSITIONS: dict[str, set[str]] = {
        "draft": {"filed"},
        "filed": {"acknowledged", "assessing", "rejected"},
        "acknowledged": {"assessing", "accepted", "rejected"},
        "assessing": {"accepted", "rejected"},
        "accepted": {"paid", "closed"},
        "rejected": {"assessing", "closed"},
        "paid": {"closed"},
        "closed": set(),
    }

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")
    insurer = models.CharField(max_length=200)
    policy_holder = models.CharField(max_length=20, choices=PolicyHolder.choices)
    policy_number = models.CharField(max_length=100, blank=True)
    claim_number = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    amount_claimed = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    next_action = models.CharField(max_length=200, blank=True)
    next_action_due = models.DateField(null=True, blank=True)
    adjuster_name = models.CharField(max_length=200, blank=True)
    adjuster_contact = models.CharField(max_length=200, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_update_at = models.DateTimeField()
    stall_checked_due = models.DateField(
        null=True, blank=True, help_text="The next-action date the stalled-claim watcher has already checked."
    )

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_action_due"],
                name="claim_next_action_open",
                condition=~Q(status="closed") & Q(next_action_due__isnull=False),
            ),
            models.Index(fields=["next_action_due"], name="claim_stall_unchecked", condition=CLAIM_STALL_UNCHECKED),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", InsuranceClaimStatus), name="claim_status_valid"),
            models.CheckConstraint(
                condition=_in("policy_holder", InsuranceClaimPolicyHolder), name="claim_policy_holder_valid"
            ),
            models.CheckConstraint(condition=~Q(insurer=""), name="claim_insurer_required"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(filed_at__isnull=False), name="claim_filed_has_date"
            ),
            models.CheckConstraint(
                condition=(Q(amount_claimed__isnull=True) | Q(amount_claimed__gte=0))
                & (Q(amount_paid__isnull=True) | Q(amount_paid__gte=0)),
                name="claim_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} {self.claim_number or '(no number yet)'}"


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", "From the customer"
    OUTBOUND = "outbound", "To the customer"


class MessageChannel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone call"
    CHAT = "chat", "Chat"
    SOCIAL = "social", "Social media"
    POST = "post", "Post"
    NOTE = "note", "Internal note"


class Message(models.Model):
    """The conversation with the customer on every channel; internal notes never reach them."""

    Direction = MessageDirection

    Channel = MessageChannel

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    is_internal = models.BooleanField(default=False)
    for_contractor = models.BooleanField(default=False, help_text="An internal note the contractor may read.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages_written"
    )
    author_label = models.CharField(
        max_length=250, help_text='Who wrote it, as shown: "Paul, on behalf of Mrs Martin".'
    )
    body = models.TextField()
    body_html = models.TextField(help_text="The body escaped and formatted once, when written.")
    external_id = models.CharField(
        max_length=200, null=True, blank=True, unique=True, help_text="Idempotency key of an inbound delivery."
    )
    is_automatic = models.BooleanField(
        default=False,
        help_text="An automatic reply (out of office): kept, but it neither needs an answer nor answers anything.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_by_customer_at = models.DateTimeField(null=True, blank=True)
    read_by_staff_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When a later reply reached the customer.")

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_time")]
        constraints = [
            models.CheckConstraint(condition=_in("direction", MessageDirection), name="message_direction_valid"),
            models.CheckConstraint(condition=_in("channel", MessageChannel), name="message_channel_valid"),
            models.CheckConstraint(
                condition=~Q(is_internal=True, direction="inbound"), name="message_internal_is_outbound"
            ),
            models.CheckConstraint(
                condition=Q(is_internal=True) | Q(for_contractor=False), name="message_contractor_note_internal"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="message_body_required"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.message.case_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty")]

    def __str__(self) -> str:
        return self.original_name


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PromiseKind(models.TextChoices):
    GENERAL = "general", "Promise"
    CALLBACK = "callback", "Call back"
    VISIT = "visit", "Visit"
    FIX = "fix", "Fix or release"
    DECISION = "decision", "Decision"
    CALL_TASK = "call_task", "Call the customer to tell them"
    LETTER_TASK = "letter_task", "Post a letter to the customer"


PROMISE_OVERDUE_UNFLAGGED = Q(status="open", overdue_flagged_at__isnull=True)


class Promise(models.Model):
    """A commitment on a case, watched until kept, broken or withdrawn. Its due date never moves."""

    Status = PromiseStatus

    Kind = PromiseKind

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promises")
    job = models.ForeignKey(
        "contractors.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises",
        help_text="Set when a contractor made the promise about a job.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    text = models.CharField(max_length=300)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promises_made")
    made_by_label = models.CharField(max_length=250)
    owed_to_customer = models.BooleanField(default=True)
    owed_to_name = models.CharField(max_length=200, blank=True, help_text="Who is owed, when not the customer.")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    overdue_flagged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stale-promise watcher flagged it (the due date itself never moves)."
    )

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], name="promise_due_open", condition=Q(status="open")),
            models.Index(fields=["due_at"], name="promise_overdue_unflagged", condition=PROMISE_OVERDUE_UNFLAGGED),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("status", PromiseStatus), name="promise_status_valid"),
            models.CheckConstraint(condition=_in("kind", PromiseKind), name="promise_kind_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="promise_text_required"),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(resolved_at__isnull=True))
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="promise_resolved_iff_not_open",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["broken", "withdrawn"]) | ~Q(resolution_note=""),
                name="promise_broken_or_withdrawn_has_note",
            ),
            models.CheckConstraint(
                condition=Q(owed_to_customer=True) | ~Q(owed_to_name=""), name="promise_owed_to_someone"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class FlagKind(models.TextChoices):
    STALE_PROMISE = "stale_promise", "Promise past due"
    UNANSWERED_MESSAGE = "unanswered_message", "Customer message unanswered"
    SILENT_CASE = "silent_case", "No contact with the customer"
    REPEATED_CANCELLATION = "repeated_cancellation", "Job cancelled again"
    MISSING_PREREQUISITE = "missing_prerequisite", "Job blocked by a prerequisite"
    PREREQUISITE_OVERRIDE = "prerequisite_override", "Visit started with a prerequisite open"
    INCIDENT = "incident", "Damage reported on site"
    STALLED_CLAIM = "stalled_claim", "Insurance claim stalled"
    UNCONFIRMED_RESOLUTION = "unconfirmed_resolution", "Resolution not confirmed"
    REJECTED_RESOLUTION = "rejected_resolution", "Customer says it is not fixed"
    CONTACT_REQUEST = "contact_request", "Customer asks to talk about their services"
    EMERGING_INCIDENT = "emerging_incident", "Several new cases in one service and area"
    UNDELIVERED_EMAIL = "undelivered_email", "E-mail not delivered to the customer"


class Flag(models.Model):
    """Something needing attention, raised by a watcher and sent up the escalation ladder."""

    Kind = FlagKind

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_key = models.CharField(
        max_length=120, help_text='The record the flag is about, e.g. "promise:42" or "area:fibre:69003".'
    )
    summary = models.CharField(max_length=300)
    data = models.JSONField(
        default=dict, blank=True, help_text="The summary as a language-neutral sentence, rendered in the reader's language."
    )
    level = models.PositiveSmallIntegerField(default=1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags_assigned",
        help_text="The person at the flag's current level.",
    )
    raised_at = models.DateTimeField()
    escalate_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clear_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-level", "raised_at"]
        indexes = [
            models.Index(fields=["assignee", "level"], name="flag_open_assignee", condition=Q(cleared_at__isnull=True)),
            models.Index(
                fields=["escalate_at"],
                name="flag_escalation_due",
                condition=Q(cleared_at__isnull=True, acknowledged_at__isnull=True),
            ),
            # Every flag a subject ever had, cleared ones included: the sweeps ask whether a
            # cancellation or an incident was ever flagged.
            models.Index(fields=["kind", "subject_key", "raised_at"], name="flag_subject_history"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("kind", FlagKind), name="flag_kind_valid"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="flag_level_1_to_3"),
            models.CheckConstraint(condition=Q(case__isnull=False) | Q(kind="emerging_incident"), name="flag_has_case"),
            models.UniqueConstraint(
                fields=["kind", "subject_key"], condition=Q(cleared_at__isnull=True), name="flag_one_open_per_subject"
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class NotificationReason(models.TextChoices):
    RAISED = "raised", "Flag raised"
    ESCALATED = "escalated", "Flag escalated to you"


class Notification(models.Model):
    """A flag reaching the person at its level: the in-app list, and the queue of the e-mail digest.

    Written in the transaction that raises or escalates the flag, so a notification is never
    lost; the digest sender claims unsent rows and groups them per recipient into one e-mail.
    """

    Reason = NotificationReason

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="notifications")
    level = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    summary = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sender took it for a digest; retaken if the send never finished."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["created_at"], name="notification_unsent", condition=Q(emailed_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("reason", NotificationReason), name="notification_reason_valid"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="notification_level_1_to_3"),
            # A flag notifies once per level, however many workers raise or escalate it.
            models.UniqueConstraint(fields=["flag", "level"], name="notification_one_per_flag_level"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.summary}"


class WatcherCursor(models.Model):
    """How far a sweep has read an append-only table (job cancellations, incident reports…)."""

    name = models.CharField(max_length=60, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class TimelineEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Timeline events are append-only")

    def delete(self):
        raise TypeError("Timeline events are append-only")


class TimelineEventKind(models.TextChoices):
    CASE_OPENED = "case_opened", "Case opened"
    STATUS_CHANGED = "status_changed", "Status changed"
    MESSAGE_IN = "message_in", "Message from the customer"
    MESSAGE_OUT = "message_out", "Reply to the customer"
    NOTE = "note", "Internal note"
    CALL = "call", "Phone call"
    HANDOFF = "handoff", "Handed off"
    HANDOFF_ACKNOWLEDGED = "handoff_acknowledged", "Handoff acknowledged"
    PROMISE_MADE = "promise_made", "Promise made"
    PROMISE_KEPT = "promise_kept", "Promise kept"
    PROMISE_BROKEN = "promise_broken", "Promise broken"
    PROMISE_WITHDRAWN = "promise_withdrawn", "Promise withdrawn"
    SALE = "sale", "Sale recorded"
    JOB_REQUESTED = "job_requested", "Job requested"
    JOB_SCHEDULED = "job_scheduled", "Job scheduled"
    JOB_STATUS = "job_status", "Job status"
    JOB_CANCELLED = "job_cancelled", "Job cancelled"
    JOB_COMPLETED = "job_completed", "Job completed"
    PREREQUISITE = "prerequisite", "Prerequisite"
    INCIDENT = "incident", "Incident reported"
    CLAIM_FILED = "claim_filed", "Claim filed"
    CLAIM_UPDATED = "claim_updated", "Claim updated"
    RESOLVED = "resolved", "Resolved"
    CONFIRMED = "confirmed", "Resolution confirmed"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    REMINDER = "reminder", "Reminder sent"
    FLAG_RAISED = "flag_raised", "Flag raised"
    FLAG_ESCALATED = "flag_escalated", "Flag escalated"
    FLAG_ACKNOWLEDGED = "flag_acknowledged", "Flag acknowledged"
    FLAG_CLEARED = "flag_cleared", "Flag cleared"
    ALERT_LINKED = "alert_linked", "Linked to a service alert"
    ACCESS = "access", "Access granted or revoked"
    SURVEY = "survey", "Survey answered"
    CUSTOMER_INFORMED = "customer_informed", "Customer informed"
    EMAIL_UNDELIVERED = "email_undelivered", "E-mail not delivered"
    AUTOMATIC_REPLY = "automatic_reply", "Automatic reply received"


class TimelineEvent(models.Model):
    """Append-only record of everything that happens on a case."""

    Kind = TimelineEventKind

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    department = models.CharField(max_length=20, choices=TimelineDepartment.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=250)
    summary = models.CharField(max_length=500)
    customer_visible = models.BooleanField(default=False)
    subject_key = models.CharField(max_length=120, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TimelineEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="timeline_case_time")]
        constraints = [
            models.CheckConstraint(condition=_in("kind", TimelineEventKind), name="timeline_kind_valid"),
            models.CheckConstraint(condition=_in("department", TimelineDepartment), name="timeline_department_valid"),
            models.CheckConstraint(condition=~Q(summary=""), name="timeline_summary_required"),
        ]

    def __str__(self) -> str:
        return self.summary

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("Timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline events are append-only")


class Survey(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey")
    score = models.PositiveSmallIntegerField(help_text="1 (bad) to 5 (very good).")
    comment = models.TextField(blank=True)
    wants_contact = models.BooleanField(
        default=False, help_text="I'd like to talk to someone about my services or contract."
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="survey_score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.score}/5"
