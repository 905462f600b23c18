"""Cases and everything attached to them: handoffs, sales, claims, messages, promises,
flags, the timeline, service alerts and surveys.

Rows are written only by `cases.services`; constraints here are the database's half of
the invariants in DESIGN.md section 4.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Combinable
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from people.models import Customer, Service


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class TimelineDepartment(models.TextChoices):
    """The four record families of a case, plus the system itself, for timeline filters."""

    SALES = "sales", pgettext_lazy("department", "Sales")
    FIELD = "field", pgettext_lazy("department", "Contractor")
    INSURANCE = "insurance", pgettext_lazy("department", "Insurance")
    SUPPORT = "support", pgettext_lazy("department", "Support")
    SYSTEM = "system", _("Steward")


class ReferenceCounter(models.Model):
    """Last number used for human case references, one row per year (locked when drawn)."""

    year = models.PositiveIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ServiceAlertKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Planned maintenance")
    OUTAGE = "outage", _("Known outage")


class ServiceAlert(models.Model):
    Kind = ServiceAlertKind

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("service"))
    area = models.CharField(_("area"), max_length=60, blank=True, db_index=True, help_text=_("Blank means every area."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(
        _("ends at"), null=True, blank=True, help_text=_("Blank while the end is not known.")
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("posted by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revision = models.PositiveIntegerField(
        _("revision"),
        default=0,
        help_text=_("How many changes customers were told about; each one is told once."),
    )
    # The telling queued last and not yet finished ("posted", "updated", "ended"), and since
    # when: if its task never ran (broker down, worker lost), the minute's sweep runs it.
    telling_pending = models.CharField(_("telling pending"), max_length=10, blank=True, editable=False)
    telling_queued_at = models.DateTimeField(_("telling queued at"), null=True, blank=True, editable=False)

    # Not columns: set by the selectors on the alerts they list, for the pages to read.
    is_current: bool
    is_live: bool

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("service alert")
        verbose_name_plural = _("service alerts")
        constraints = [
            models.CheckConstraint(condition=_in("kind", ServiceAlertKind), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="alert_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CaseStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("case status", "New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for the customer")
    WAITING_CONTRACTOR = "waiting_contractor", _("Waiting for the contractor")
    WAITING_INSURER = "waiting_insurer", _("Waiting for the insurer")
    RESOLVED = "resolved", _("Resolved, awaiting confirmation")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


class CasePriority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class CaseCloseReason(models.TextChoices):
    CONFIRMED = "confirmed", _("Customer confirmed the resolution")
    WINDOW_ELAPSED = "window_elapsed", _("No answer within the confirmation window after a reminder")
    MERGED = "merged", _("Merged into another case of the same customer")


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


def attention_rule(flag_level: Combinable, overdue: Q | Combinable, awaiting: Q) -> Combinable:
    """What needs the owner first, as one sortable number: the highest open flag level
    outranks an overdue promise, which outranks an unanswered customer message.

    The one definition: the case's stored `attention` is generated by it from the stored inputs,
    and cases.selectors.with_attention applies it to inputs counted from scratch."""

    def weight(condition: Q | Combinable, points: int) -> models.Case:
        return models.Case(
            models.When(condition, then=models.Value(points)),
            default=models.Value(0),
            output_field=models.IntegerField(),
        )

    return flag_level * 4 + weight(overdue, 2) + weight(awaiting, 1)


# What cases.services.attention.refresh_attention writes, and nothing else does.
ATTENTION_INPUTS = ("attention_flag_level", "promise_due_at", "promise_overdue")
# The worklist's default list (every case still open), which its index holds.
WORKLIST_OPEN = ~Q(status="closed")
# Cases whose earliest open promise is past due but whose attention does not count it yet: the
# attention watcher's rows, and all its index holds.
ATTENTION_DUE_UNCOUNTED = Q(promise_due_at__isnull=False, promise_overdue=False)


class Case(models.Model):
    Status = CaseStatus

    Priority = CasePriority

    CloseReason = CaseCloseReason

    OPEN_STATUSES = [s for s in CaseStatus.values if s != CaseStatus.CLOSED]
    WORKING_STATUSES = [s for s in CaseStatus.values if s not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)]

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer"))
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    human_impact = models.CharField(
        _("human impact"), max_length=200, blank=True, help_text=_('What it does to the person: "no heating".')
    )
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        help_text=_("The service the case is about, if any."),
        verbose_name=_("service"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases", verbose_name=_("owner")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    linked_alerts = models.ManyToManyField(
        ServiceAlert, blank=True, related_name="cases", verbose_name=_("linked alerts")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Sort and watch keys kept on the row so lists and watchers never aggregate per row.
    last_activity_at = models.DateTimeField(_("last activity at"), db_index=True)
    last_outbound_at = models.DateTimeField(_("last outbound at"), null=True, blank=True)
    awaiting_reply_since = models.DateTimeField(
        _("awaiting reply since"),
        null=True,
        blank=True,
        help_text=_("When the oldest unanswered customer message arrived."),
    )
    reply_due_at = models.DateTimeField(_("reply due at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    confirmation_due_at = models.DateTimeField(_("confirmation due at"), null=True, blank=True)
    confirmation_reminder_sent_at = models.DateTimeField(_("confirmation reminder sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=20, choices=CloseReason.choices, blank=True)
    reopen_count = models.PositiveIntegerField(_("reopen count"), default=0)
    # Watcher markers: which due moment a watcher has already dealt with, so a scan reads
    # only rows that became due since (the partial indexes below hold nothing else).
    reply_flagged_due_at = models.DateTimeField(
        _("reply flagged due at"),
        null=True,
        blank=True,
        help_text=_("The reply deadline the unanswered-message watcher last flagged."),
    )
    silent_flagged_at = models.DateTimeField(
        _("silent flagged at"),
        null=True,
        blank=True,
        help_text=_("When the silent-case watcher last flagged this case."),
    )
    # A duplicate merged into another case of the customer: closed, its records moved there, its
    # own timeline kept and shown on the case it went into (cases.services.merge).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    # The worklist's "needs me first" order, kept on the row so that an owner's first page is read
    # from an index instead of counting flags and promises for each of their open cases. The inputs
    # are written by cases.services.attention.refresh_attention; the number follows from them.
    attention_flag_level = models.PositiveSmallIntegerField(
        _("attention flag level"),
        default=0,
        help_text=_("The highest level of the open flags that ask something of the owner; 0 when none."),
    )
    promise_due_at = models.DateTimeField(
        _("earliest promise due at"),
        null=True,
        blank=True,
        help_text=_("When the earliest open promise on the case is due."),
    )
    promise_overdue = models.BooleanField(
        _("promise overdue"),
        default=False,
        help_text=_("Whether an open promise was past due when the attention was last counted."),
    )
    attention = models.GeneratedField(
        expression=attention_rule(
            F("attention_flag_level"), Q(promise_overdue=True), Q(awaiting_reply_since__isnull=False)
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name=_("attention"),
    )

    class Meta:
        ordering = ["-last_activity_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [
            ("act_for_customer", _("Act for the customer on this case (delegate)")),
            ("work_on_case", _("Work on this case as an added specialist")),
        ]
        indexes = [
            # priority and reply_due_at ride along so that the team view counts its members'
            # open, urgent and overdue cases from the index alone (cases.selectors.team_load_for).
            models.Index(fields=["owner", "status", "priority", "reply_due_at"], name="case_owner_status"),
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
            # The worklist's first page: an owner's open cases in the order of its keyset.
            models.Index(
                fields=["owner", "-attention", "last_activity_at", "id"],
                name="case_worklist_attention",
                condition=WORKLIST_OPEN,
            ),
            models.Index(fields=["promise_due_at"], name="case_attention_due", condition=ATTENTION_DUE_UNCOUNTED),
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
            # in which a reminder was sent, or as a duplicate whose story goes on in another case.
            models.CheckConstraint(
                condition=~Q(status="closed")
                | (
                    Q(closed_at__isnull=False, resolved_at__isnull=False)
                    & (
                        Q(close_reason="confirmed")
                        | Q(close_reason="window_elapsed", confirmation_reminder_sent_at__isnull=False)
                    )
                )
                | Q(closed_at__isnull=False, close_reason="merged", merged_into__isnull=False),
                name="case_closed_only_by_rule",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True)
                | (Q(status="closed", close_reason="merged", merged_at__isnull=False) & ~Q(merged_into=F("pk"))),
                name="case_merged_is_closed",
            ),
            models.CheckConstraint(
                condition=Q(status="closed") | Q(closed_at__isnull=True, close_reason=""),
                name="case_open_not_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def save(
        self,
        *,
        force_insert: bool | tuple[type[models.Model], ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        # The attention inputs are counted by the database from the case's flags and promises
        # (cases.services.attention): a whole-row save of a copy read before they were counted
        # must not write the old values back, so it writes every column but those.
        if update_fields is None and not force_insert and not self._state.adding:
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and not f.generated and f.name not in ATTENTION_INPUTS
            ]
        super().save(force_insert=force_insert, force_update=force_update, using=using, update_fields=update_fields)

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, verbose_name=_("content object"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case user object permission")
        verbose_name_plural = _("case user object permissions")


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, verbose_name=_("content object"))

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("case group object permission")
        verbose_name_plural = _("case group object permissions")


# A handoff still waiting for its receiver's acknowledgement, not flagged yet; a later handoff of
# the case empties acknowledge_due_at, since the earlier one no longer needs acknowledging.
HANDOFF_UNACKNOWLEDGED_UNFLAGGED = Q(
    acknowledge_due_at__isnull=False, acknowledged_at__isnull=True, unacknowledged_flagged_at__isnull=True
)


class Handoff(models.Model):
    """The only way ownership changes. The receiver reads the summary and acknowledges."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handoffs", verbose_name=_("case"))
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_given", verbose_name=_("from user")
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received", verbose_name=_("to user")
    )
    reason = models.CharField(_("reason"), max_length=200)
    summary = models.TextField(_("summary"), help_text=_("What the next owner must know first."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(
        _("acknowledge by"),
        null=True,
        blank=True,
        help_text=_("When the receiver should have acknowledged, in their department's working hours."),
    )
    unacknowledged_flagged_at = models.DateTimeField(_("flagged as unacknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes = [
            # The reports read the handoffs of a period (reports/tables.py).
            models.Index(fields=["created_at"], name="handoff_created"),
            models.Index(
                fields=["acknowledge_due_at"],
                name="handoff_ack_due_unflagged",
                condition=HANDOFF_UNACKNOWLEDGED_UNFLAGGED,
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(from_user=F("to_user")), name="handoff_to_someone_else"),
            models.CheckConstraint(condition=~Q(summary=""), name="handoff_summary_required"),
            models.CheckConstraint(condition=~Q(reason=""), name="handoff_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.from_user} → {self.to_user}"


class Sale(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sales", verbose_name=_("case"))
    product = models.CharField(_("product"), max_length=200)
    plan = models.CharField(_("plan"), max_length=200, blank=True)
    monthly_price = models.DecimalField(_("monthly price"), max_digits=10, decimal_places=2, null=True, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales_made", verbose_name=_("advisor")
    )
    pending_offers = models.TextField(_("pending offers"), blank=True)
    sold_at = models.DateTimeField(_("sold at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-sold_at"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_price__isnull=True) | Q(monthly_price__gte=0), name="sale_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.product


class InsuranceClaimStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("claim status", "Draft")
    FILED = "filed", pgettext_lazy("claim status", "Filed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the insurer")
    ASSESSING = "assessing", _("Being assessed")
    ACCEPTED = "accepted", pgettext_lazy("claim status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("claim status", "Rejected")
    PAID = "paid", pgettext_lazy("claim status", "Paid")
    CLOSED = "closed", pgettext_lazy("claim status", "Closed")


class InsuranceClaimPolicyHolder(models.TextChoices):
    CUSTOMER = "customer", _("The customer's own policy")
    COMPANY = "company", _("Our policy")
    CONTRACTOR = "contractor", _("The contractor's policy")


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

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims", verbose_name=_("case"))
    insurer = models.CharField(_("insurer"), max_length=200)
    policy_holder = models.CharField(_("policy holder"), max_length=20, choices=PolicyHolder.choices)
    policy_number = models.CharField(_("policy number"), max_length=100, blank=True)
    claim_number = models.CharField(_("claim number"), max_length=100, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    amount_claimed = models.DecimalField(_("amount claimed"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2, null=True, blank=True)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_due = models.DateField(_("next action due"), null=True, blank=True)
    adjuster_name = models.CharField(_("adjuster name"), max_length=200, blank=True)
    adjuster_contact = models.CharField(_("adjuster contact"), max_length=200, blank=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_update_at = models.DateTimeField(_("last update at"))
    stall_checked_due = models.DateField(
        _("stall checked due"),
        null=True,
        blank=True,
        help_text=_("The next-action date the stalled-claim watcher has already checked."),
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("insurance claim")
        verbose_name_plural = _("insurance claims")
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
        if self.claim_number:
            return f"{self.insurer} {self.claim_number}"
        return gettext("%(insurer)s (no number yet)") % {"insurer": self.insurer}


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")


class MessageChannel(models.TextChoices):
    PORTAL = "portal", pgettext_lazy("channel", "Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    CHAT = "chat", pgettext_lazy("channel", "Chat")
    SOCIAL = "social", _("Social media")
    POST = "post", pgettext_lazy("channel", "Post")
    NOTE = "note", _("Internal note")


class Message(models.Model):
    """The conversation with the customer on every channel; internal notes never reach them."""

    Direction = MessageDirection

    Channel = MessageChannel

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    is_internal = models.BooleanField(_("is internal"), default=False)
    for_contractor = models.BooleanField(
        _("for contractor"), default=False, help_text=_("An internal note the contractor may read.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_written",
        verbose_name=_("author"),
    )
    author_label = models.CharField(
        _("author label"), max_length=250, help_text=_('Who wrote it, as shown: "Paul, on behalf of Mrs Martin".')
    )
    body = models.TextField(_("body"))
    body_html = models.TextField(_("body html"), help_text=_("The body escaped and formatted once, when written."))
    external_id = models.CharField(
        _("external id"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Idempotency key of an inbound delivery."),
    )
    is_automatic = models.BooleanField(
        _("is automatic"),
        default=False,
        help_text=_("An automatic reply (out of office): kept, but it neither needs an answer nor answers anything."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_by_customer_at = models.DateTimeField(_("read by customer at"), null=True, blank=True)
    read_by_staff_at = models.DateTimeField(_("read by staff at"), null=True, blank=True)
    answered_at = models.DateTimeField(
        _("answered at"), null=True, blank=True, help_text=_("When a later reply reached the customer.")
    )
    # Stored when the answer goes, so the reports count replies within the target without asking,
    # message by message, what the reply clock was then (cases/services/messages.py).
    answered_late = models.BooleanField(
        _("answered late"),
        default=False,
        help_text=_("The answer came after the case's reply deadline (the one the unanswered-message watcher uses)."),
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
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
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty")]

    def __str__(self) -> str:
        return self.original_name


class InboundRoute(models.TextChoices):
    REFERENCE = "reference", _("The case whose reference the message quotes")
    SENDER = "sender", _("The sender's open case")
    NEW_CASE = "new_case", _("A new case for a known sender")
    TRIAGE = "triage", _("A triage case for an unknown sender")


class InboundDelivery(models.Model):
    """A message a mail gateway or phone system delivered, filed once however often it is retried.

    Written by cases.services.inbound whichever door the message came through (the API, the mail
    server pipe, the mailbox poller, the webhook), so it belongs to the domain, not to the API.
    """

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
            models.CheckConstraint(condition=_in("route", InboundRoute), name="inbound_route_valid"),
            models.CheckConstraint(condition=_in("channel", MessageChannel), name="inbound_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.route}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("promise status", "Open")
    KEPT = "kept", pgettext_lazy("promise status", "Kept")
    BROKEN = "broken", pgettext_lazy("promise status", "Broken")
    WITHDRAWN = "withdrawn", pgettext_lazy("promise status", "Withdrawn")


class PromiseKind(models.TextChoices):
    GENERAL = "general", pgettext_lazy("promise kind", "Promise")
    CALLBACK = "callback", _("Call back")
    VISIT = "visit", pgettext_lazy("promise kind", "Visit")
    FIX = "fix", _("Fix or release")
    DECISION = "decision", pgettext_lazy("promise kind", "Decision")
    CALL_TASK = "call_task", _("Call the customer to tell them")
    LETTER_TASK = "letter_task", _("Post a letter to the customer")


PROMISE_OVERDUE_UNFLAGGED = Q(status="open", overdue_flagged_at__isnull=True)


class Promise(models.Model):
    """A commitment on a case, watched until kept, broken or withdrawn. Its due date never moves."""

    Status = PromiseStatus

    Kind = PromiseKind

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promises", verbose_name=_("case"))
    job = models.ForeignKey(
        "contractors.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises",
        help_text=_("Set when a contractor made the promise about a job."),
        verbose_name=_("job"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    text = models.CharField(_("text"), max_length=300)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promises_made", verbose_name=_("made by")
    )
    made_by_label = models.CharField(_("made by label"), max_length=250)
    owed_to_customer = models.BooleanField(_("owed to customer"), default=True)
    owed_to_name = models.CharField(
        _("owed to name"), max_length=200, blank=True, help_text=_("Who is owed, when not the customer.")
    )
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    overdue_flagged_at = models.DateTimeField(
        _("overdue flagged at"),
        null=True,
        blank=True,
        help_text=_("When the stale-promise watcher flagged it (the due date itself never moves)."),
    )

    # Not a column: set by selfservice.selectors on the promises the customer's page lists.
    is_late: bool

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        indexes = [
            # The reports read the promises made in a period (reports/tables.py).
            models.Index(fields=["created_at"], name="promise_created"),
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
    STALE_PROMISE = "stale_promise", _("Promise past due")
    UNANSWERED_MESSAGE = "unanswered_message", _("Customer message unanswered")
    SILENT_CASE = "silent_case", _("No contact with the customer")
    REPEATED_CANCELLATION = "repeated_cancellation", _("Job cancelled again")
    MISSING_PREREQUISITE = "missing_prerequisite", _("Job blocked by a prerequisite")
    PREREQUISITE_OVERRIDE = "prerequisite_override", _("Visit started with a prerequisite open")
    EARLY_VISIT = "early_visit", _("Visit started before the day of its window")
    INCIDENT = "incident", _("Damage reported on site")
    STALLED_CLAIM = "stalled_claim", _("Insurance claim stalled")
    UNCONFIRMED_RESOLUTION = "unconfirmed_resolution", _("Resolution not confirmed")
    REJECTED_RESOLUTION = "rejected_resolution", _("Customer says it is not fixed")
    CONTACT_REQUEST = "contact_request", _("Customer asks to talk about their services")
    CALLBACK_REQUEST = "callback_request", _("Customer asks to be called back")
    EMERGING_INCIDENT = "emerging_incident", _("Several new cases in one service and area")
    UNDELIVERED_EMAIL = "undelivered_email", _("E-mail not delivered to the customer")
    HELP_REQUESTED = "help_requested", _("A colleague asks for your help")
    HANDOFF_UNACKNOWLEDGED = "handoff_unacknowledged", _("Handoff not acknowledged")
    LOW_SURVEY_SCORE = "low_survey_score", _("Low survey score: follow up with the customer")


class Flag(models.Model):
    """Something needing attention, raised by a watcher and sent up the escalation ladder."""

    Kind = FlagKind

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="flags", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    subject_key = models.CharField(
        _("subject key"),
        max_length=120,
        help_text=_('The record the flag is about, e.g. "promise:42" or "area:fibre:69003".'),
    )
    summary = models.CharField(_("summary"), max_length=300)
    data = models.JSONField(
        _("data"),
        default=dict,
        blank=True,
        help_text=_("The summary as a language-neutral sentence, rendered in the reader's language."),
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags_assigned",
        help_text=_("The person at the flag's current level."),
        verbose_name=_("assignee"),
    )
    raised_at = models.DateTimeField(_("raised at"))
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    clear_note = models.CharField(_("clear note"), max_length=300, blank=True)

    # Not a column: cases.services.flags keeps a new flag's whole summary (a sentence's record, or
    # text longer than the column) for the timeline event that announces it.
    said_in_full: "dict[str, Any] | str"

    class Meta:
        ordering = ["-level", "raised_at"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        indexes = [
            # The reports read the flags raised in a period (reports/tables.py).
            models.Index(fields=["raised_at"], name="flag_raised"),
            # A person's open flags in the queue's order (cases.selectors.FLAGS_ORDER): the page
            # reads its first rows off the index instead of sorting every open flag of theirs.
            # cleared_at (always empty here) is in it because SQLite reads the table to test the
            # condition otherwise; with it, the count in every staff page's header reads the
            # index alone.
            models.Index(
                fields=["assignee", "-level", "raised_at", "id", "cleared_at"],
                name="flag_open_assignee",
                condition=Q(cleared_at__isnull=True),
            ),
            # The help colleagues asked of a person, on their worklist: a few rows among the
            # thousands of open flags a busy owner may hold (cases.selectors.help_requests_for).
            models.Index(
                fields=["assignee", "raised_at", "id"],
                name="flag_help_waiting",
                condition=Q(kind="help_requested", cleared_at__isnull=True),
            ),
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

    @property
    def text(self) -> str:
        """The summary in the reader's language."""
        from cases.sentences import flag_text

        return flag_text(self)


class NotificationReason(models.TextChoices):
    RAISED = "raised", _("Flag raised")
    ESCALATED = "escalated", _("Flag escalated to you")


class Notification(models.Model):
    """A flag reaching the person at its level: the in-app list, and the queue of the e-mail digest.

    Written in the transaction that raises or escalates the flag, so a notification is never
    lost; the digest sender claims unsent rows and groups them per recipient into one e-mail.
    One row per (recipient, flag, level), whatever the workers do; rows of flags of one case
    escalated together point at the first one (`grouped_into`), which speaks for them all
    (cases/notifications.py).
    """

    Reason = NotificationReason

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("flag"))
    level = models.PositiveSmallIntegerField(_("level"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    summary = models.CharField(_("summary"), max_length=300)
    created_at = models.DateTimeField(_("created at"))
    held_until = models.DateTimeField(
        _("held until"),
        null=True,
        blank=True,
        help_text=_("Written outside the person's working time: when it reaches them. Empty: at once."),
    )
    grouped_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grouped",
        verbose_name=_("grouped into"),
        help_text=_("The notification that tells this flag together with the other flags of its case."),
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_claimed_at = models.DateTimeField(
        _("email claimed at"),
        null=True,
        blank=True,
        help_text=_("When a sender took it for a digest; retaken if the send never finished."),
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["created_at"], name="notification_unsent", condition=Q(emailed_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("reason", NotificationReason), name="notification_reason_valid"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="notification_level_1_to_3"),
            # Nobody hears of the same flag at the same level twice, however many workers raise,
            # escalate or retry it.
            models.UniqueConstraint(fields=["recipient", "flag", "level"], name="notification_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.summary}"

    @property
    def flags_told(self) -> list["Notification"]:
        """This row and the rows grouped into it: one per flag this notification tells."""
        return [self, *self.grouped.all()]


class WatcherCursor(models.Model):
    """How far a sweep has read an append-only table (job cancellations, incident reports…)."""

    name = models.CharField(_("name"), max_length=60, primary_key=True)
    last_id = models.BigIntegerField(_("last id"), default=0)
    last_at = models.DateTimeField(_("last at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("watcher cursor")
        verbose_name_plural = _("watcher cursors")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class WatcherHeartbeat(models.Model):
    """When each watcher last finished a run: what the staleness banner and /health/watchers/ read."""

    name = models.CharField(_("name"), max_length=60, primary_key=True)
    last_completed_at = models.DateTimeField(_("last completed at"))

    class Meta:
        verbose_name = _("watcher heartbeat")
        verbose_name_plural = _("watcher heartbeats")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_completed_at:%Y-%m-%d %H:%M}"


class TimelineEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Timeline events are append-only")

    def delete(self):
        raise TypeError("Timeline events are append-only")


class TimelineEventKind(models.TextChoices):
    CASE_OPENED = "case_opened", _("Case opened")
    STATUS_CHANGED = "status_changed", _("Status changed")
    MESSAGE_IN = "message_in", _("Message from the customer")
    MESSAGE_OUT = "message_out", pgettext_lazy("timeline event", "Reply to the customer")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    HANDOFF = "handoff", _("Handed off")
    HANDOFF_ACKNOWLEDGED = "handoff_acknowledged", _("Handoff acknowledged")
    PROMISE_MADE = "promise_made", _("Promise made")
    PROMISE_KEPT = "promise_kept", _("Promise kept")
    PROMISE_BROKEN = "promise_broken", _("Promise broken")
    PROMISE_WITHDRAWN = "promise_withdrawn", _("Promise withdrawn")
    SALE = "sale", _("Sale recorded")
    JOB_REQUESTED = "job_requested", _("Job requested")
    JOB_SCHEDULED = "job_scheduled", _("Job scheduled")
    JOB_STATUS = "job_status", pgettext_lazy("timeline event", "Job status")
    JOB_CANCELLED = "job_cancelled", _("Job cancelled")
    JOB_COMPLETED = "job_completed", _("Job completed")
    PREREQUISITE = "prerequisite", pgettext_lazy("timeline event", "Prerequisite")
    INCIDENT = "incident", _("Incident reported")
    CLAIM_FILED = "claim_filed", _("Claim filed")
    CLAIM_UPDATED = "claim_updated", _("Claim updated")
    RESOLVED = "resolved", pgettext_lazy("timeline event", "Resolved")
    CONFIRMED = "confirmed", _("Resolution confirmed")
    REOPENED = "reopened", pgettext_lazy("timeline event", "Reopened")
    CLOSED = "closed", pgettext_lazy("timeline event", "Closed")
    REMINDER = "reminder", _("Reminder sent")
    FLAG_RAISED = "flag_raised", _("Flag raised")
    FLAG_ESCALATED = "flag_escalated", _("Flag escalated")
    FLAG_ACKNOWLEDGED = "flag_acknowledged", _("Flag acknowledged")
    FLAG_CLEARED = "flag_cleared", _("Flag cleared")
    ALERT_LINKED = "alert_linked", _("Linked to a service alert")
    ACCESS = "access", _("Access granted or revoked")
    SURVEY = "survey", _("Survey answered")
    CUSTOMER_INFORMED = "customer_informed", _("Customer informed")
    EMAIL_UNDELIVERED = "email_undelivered", _("E-mail not delivered")
    AUTOMATIC_REPLY = "automatic_reply", _("Automatic reply received")
    DETAILS_CHANGED = "details_changed", _("Details changed")
    HELP_REQUESTED = "help_requested", _("Help asked of a colleague")
    MERGED = "merged", pgettext_lazy("timeline event", "Merged")
    PRIVACY = "privacy", _("Personal data exported or erased")


class TimelineEvent(models.Model):
    """Append-only record of everything that happens on a case."""

    Kind = TimelineEventKind

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    department = models.CharField(_("department"), max_length=20, choices=TimelineDepartment.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor label"), max_length=250)
    summary = models.CharField(_("summary"), max_length=500)
    customer_visible = models.BooleanField(_("customer visible"), default=False)
    subject_key = models.CharField(_("subject key"), max_length=120, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    rejected_resolution = models.BooleanField(
        _("rejected resolution"),
        default=False,
        help_text=_("A reopen because the customer said the resolution did not fix it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TimelineEventQuerySet.as_manager()

    # Not columns: cases.selectors.timeline_page attaches the message or notice an event records
    # (the notice is a correspondence.models.CustomerNotice, a module this one may not import).
    message: "Message | None"
    notice: "models.Model | None"

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="timeline_case_time"),
            # The reports read the resolution events of a period: a few kinds, by date (reports/tables.py).
            models.Index(fields=["kind", "created_at"], name="timeline_kind_time"),
        ]
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

    @property
    def text(self) -> str:
        """The summary in the reader's language."""
        from cases.sentences import event_text

        return event_text(self)


class Survey(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey", verbose_name=_("case"))
    score = models.PositiveSmallIntegerField(_("score"), help_text=_("1 (bad) to 5 (very good)."))
    comment = models.TextField(_("comment"), blank=True)
    wants_contact = models.BooleanField(
        _("wants contact"), default=False, help_text=_("I'd like to talk to someone about my services or contract.")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        # The reports read the surveys answered in a period (reports/tables.py).
        indexes = [models.Index(fields=["submitted_at"], name="survey_submitted")]
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="survey_score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.score}/5"
