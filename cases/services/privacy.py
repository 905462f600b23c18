"""A customer's personal data: everything Steward holds about them exported as a zip, and erased.

Customers live in people/, but what is held about them lives on their cases (messages, promises,
jobs, claims, the correspondence), so both requests are served here, where every one of those
records is reachable. docs/privacy.md says what each does and why.

Erasure anonymises rather than deletes: the customer record, their cases and their rows stay, so
the counts, dates, statuses, promise outcomes and flags of the statistics still add up, while
every field that says who the person is, where they live or what they wrote is emptied or replaced
by a neutral marker, and their files are deleted. Texts written by staff about them (notes,
promises, timeline sentences) keep their words with the person's name, e-mail address, phone
number and address taken out.
"""

import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import remove_perm

from cases import policies
from cases.models import (
    Attachment,
    Case,
    Flag,
    Handoff,
    InboundDelivery,
    InsuranceClaim,
    Message,
    Notification,
    Promise,
    Sale,
    Survey,
    TimelineDepartment,
    TimelineEvent,
)
from cases.sentences import render_sentence
from cases.services.messages import render_body
from cases.services.timeline import Sentence, person_name, record_event
from people.models import Customer, Delegate, Preference
from portal.errors import NotAllowed, RuleViolation

Kind = TimelineEvent.Kind

# What replaces a text the person wrote, or their name: the same in every language, so that it
# reads the same on every page and in every export.
ERASED = "[erased]"

EXPORTED = gettext_noop("The customer's personal data was exported on request by %(name)s.")
ERASED_ON_REQUEST = gettext_noop("The customer's personal data was erased on request by %(name)s.")
ERASED_AFTER_RETENTION = gettext_noop(
    "The customer's personal data was erased: every case had been closed for %(days)s days."
)


def erased_name(customer: Customer) -> str:
    return f"{ERASED} #{customer.pk}"


# --- what is held about a customer --------------------------------------------------------------


@dataclass
class Holdings:
    """Every row that is about one customer, by kind (the names of the export's JSON files)."""

    customers: list[Customer]
    rows: dict[str, QuerySet[Any]] = field(default_factory=dict)

    @property
    def case_ids(self) -> list[int]:
        return list(self.rows["cases"].values_list("pk", flat=True))


def customer_holdings(customer: Customer) -> Holdings:
    """The customer, the duplicate records merged into them, and everything on their cases."""
    from contractors.models import IncidentCorrection, IncidentReport, Job, JobCancellation, JobPhoto, Prerequisite
    from correspondence.models import CustomerNotice, InboundEmail, OutboundEmail

    customers = [customer, *Customer.objects.filter(merged_into=customer).order_by("pk")]
    customer_ids = [c.pk for c in customers]
    user_ids = [c.user_id for c in customers if c.user_id]
    emails = [c.email for c in customers if c.email]
    cases = Case.objects.filter(customer_id__in=customer_ids).order_by("pk")
    messages = Message.objects.filter(case__in=cases).order_by("pk")
    jobs = Job.objects.filter(case__in=cases).order_by("pk")
    flags = Flag.objects.filter(case__in=cases).order_by("pk")
    incidents = IncidentReport.objects.filter(job__in=jobs).order_by("pk")
    sender = Q(from_address__in=emails) if emails else Q(pk__in=[])
    rows: dict[str, QuerySet[Any]] = {
        "customer": Customer.objects.filter(pk__in=customer_ids).order_by("pk"),
        "customer_versions": Customer.history.filter(id__in=customer_ids).order_by("history_id"),
        "sign_in": User.objects.filter(pk__in=user_ids).order_by("pk"),
        "preferences": Preference.objects.filter(user_id__in=user_ids).order_by("pk"),
        "delegates": Delegate.objects.filter(customer_id__in=customer_ids).order_by("pk"),
        "cases": cases,
        "handoffs": Handoff.objects.filter(case__in=cases).order_by("pk"),
        "messages": messages,
        "attachments": Attachment.objects.filter(message__in=messages).order_by("pk"),
        "timeline": TimelineEvent.objects.filter(case__in=cases)
        .filter(Q(customer_visible=True) | Q(kind=Kind.NOTE))
        .order_by("pk"),
        "promises": Promise.objects.filter(case__in=cases).order_by("pk"),
        "jobs": jobs,
        "job_prerequisites": Prerequisite.objects.filter(job__in=jobs).order_by("pk"),
        "job_cancellations": JobCancellation.objects.filter(job__in=jobs).order_by("pk"),
        "incidents": incidents,
        "incident_corrections": IncidentCorrection.objects.filter(incident__in=incidents).order_by("pk"),
        "job_photos": JobPhoto.objects.filter(job__in=jobs).order_by("pk"),
        "claims": InsuranceClaim.objects.filter(case__in=cases).order_by("pk"),
        "sales": Sale.objects.filter(case__in=cases).order_by("pk"),
        "surveys": Survey.objects.filter(case__in=cases).order_by("pk"),
        "inbound_deliveries": InboundDelivery.objects.filter(message__in=messages).order_by("pk"),
        "emails_in": InboundEmail.objects.filter(Q(case__in=cases) | Q(message__in=messages) | sender)
        .distinct()
        .order_by("pk"),
        "emails_out": OutboundEmail.objects.filter(case__in=cases).order_by("pk"),
        "notices": CustomerNotice.objects.filter(case__in=cases).order_by("pk"),
        "flags": flags,
        "notifications": Notification.objects.filter(flag__in=flags).order_by("pk"),
    }
    return Holdings(customers=customers, rows=rows)


# --- the export ----------------------------------------------------------------------------------

# Never exported: the sign-in's password hash and the permissions it holds are not about the person.
_SIGN_IN_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "last_login", "date_joined")
# Each file kind: its rows and the FileField that holds it.
_FILES = (("attachments", "file"), ("job_photos", "file"), ("notices", "letter"), ("emails_in", "raw"))


def _as_json(rows: QuerySet[Any], kind: str) -> str:
    fields = _SIGN_IN_FIELDS if kind == "sign_in" else None
    return json.dumps(
        serializers.serialize("python", rows, fields=fields), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )


def _stored_files(holdings: Holdings) -> Iterator[tuple[str, models.Model, Any]]:
    for kind, field_name in _FILES:
        for row in holdings.rows[kind]:
            stored = getattr(row, field_name)
            if stored:
                yield kind, row, stored


def _write_export(archive: zipfile.ZipFile, holdings: Holdings, *, actor: User, prefix: str) -> None:
    customer = holdings.customers[0]
    counts: dict[str, int] = {}
    for kind, rows in holdings.rows.items():
        counts[kind] = rows.count()
        archive.writestr(f"{prefix}{kind}.json", _as_json(rows, kind))
    missing: list[str] = []
    written: list[str] = []
    for kind, row, stored in _stored_files(holdings):
        name = f"{prefix}files/{kind}/{row.pk}-{stored.name.rsplit('/', 1)[-1]}"
        try:
            with stored.open("rb") as handle:
                archive.writestr(name, handle.read())
        except OSError:
            missing.append(stored.name)
        else:
            written.append(name.removeprefix(prefix))
    manifest = {
        "customer": customer.pk,
        "exported_at": timezone.now(),
        "exported_by": actor.get_username(),
        "rows": counts,
        "files": written,
        "files_missing_from_storage": missing,
    }
    archive.writestr(f"{prefix}manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, indent=2))


def _require(allowed: bool, refusal: str) -> None:
    if not allowed:
        raise NotAllowed(refusal)


@transaction.atomic
def customer_data_export(*, actor: User, customers: Iterable[Customer]) -> bytes:
    """A zip with, per customer, one JSON file per kind of record and the stored files, each
    under `customer-<number>/`; recorded on the timeline of each of their cases."""
    _require(
        policies.can_export_customer_data(actor), _("Only administrators allowed to export personal data can do this.")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for customer in customers:
            holdings = customer_holdings(customer)
            _write_export(archive, holdings, actor=actor, prefix=f"customer-{customer.pk}/")
            summary = Sentence(EXPORTED, {"name": person_name(actor)})
            for case in holdings.rows["cases"]:
                _audit(case=case, actor=actor, summary=summary)
    return buffer.getvalue()


def _audit(*, case: Case, actor: User | None, summary: Sentence) -> None:
    record_event(
        case=case,
        kind=Kind.PRIVACY,
        department=TimelineDepartment.SYSTEM,
        actor=actor,
        summary=summary,
        subject_key=f"customer:{case.customer_id}",
    )


# --- the erasure ---------------------------------------------------------------------------------


class _Scrubber:
    """Takes the person's name, e-mail address, phone number and address out of a text."""

    def __init__(self, customers: list[Customer]) -> None:
        anywhere: set[str] = set()
        surnames: set[str] = set()
        # Every value the record ever had: an old address is as personal as the current one.
        versions = Customer.history.filter(id__in=[c.pk for c in customers])
        for customer in [*customers, *versions]:
            anywhere |= {customer.full_name, customer.email, customer.phone, customer.phone.replace(" ", "")}
            anywhere |= set(customer.address.splitlines())
            user = getattr(customer, "user", None)
            if user is not None:
                anywhere |= {user.get_full_name(), user.email}
                surnames.add(user.last_name)
            parts = customer.full_name.split()
            if len(parts) > 1:
                surnames.add(parts[-1])
        words = sorted((w.strip() for w in anywhere if len(w.strip()) >= 3), key=len, reverse=True)
        patterns = [re.escape(word) for word in words]
        # A surname alone ("Mrs Martin") only as a capitalised whole word, so "Other" in a
        # customer named "Omar Other" does not take "other" out of every sentence.
        exact = [rf"(?-i:\b{re.escape(name)}\b)" for name in sorted(surnames) if len(name) >= 3]
        self.pattern = re.compile("|".join(patterns + exact), re.IGNORECASE) if patterns or exact else None

    def text(self, value: str) -> str:
        if not value or self.pattern is None:
            return value
        return self.pattern.sub(ERASED, value)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value


def _rewrite(rows: QuerySet[Any], change: Any) -> int:
    """Apply `change(row) -> {field: value}` to each row, writing only what changed. Goes through
    the base manager: erasure is the one rewrite the append-only records allow (the law asks it)."""
    model = rows.model
    written = 0
    for row in rows:
        values = {
            name: _fitted(model, name, value) for name, value in change(row).items() if getattr(row, name) != value
        }
        if values:
            model._base_manager.filter(pk=row.pk).update(**values)
            written += 1
    return written


def _fitted(model: type[models.Model], name: str, value: Any) -> Any:
    """A marker longer than the name it replaced must not overflow the column (PostgreSQL refuses)."""
    limit = getattr(model._meta.get_field(name), "max_length", None)
    return value[:limit] if isinstance(value, str) and limit else value


def _delete_files(rows: QuerySet[Any], field_name: str) -> None:
    for row in rows:
        stored = getattr(row, field_name)
        if stored:
            stored.storage.delete(stored.name)


def _marker_if_set(value: str) -> str:
    return ERASED if value.strip() else value


# The customer's own words in a timeline sentence, by event kind and parameter.
_WRITTEN_BY_THEM: dict[str, tuple[str, ...]] = {Kind.MESSAGE_IN: ("text",), Kind.SURVEY: ("comment",)}
# Customer details whose old and new values a "details changed" event shows.
_PERSONAL_DETAILS = {"full_name", "phone", "email", "address", "postcode", "vulnerability_notes", "access_notes"}


def _event_text(event: TimelineEvent, scrub: _Scrubber) -> dict[str, Any]:
    data = scrub.data(event.data or {})
    sentence = data.get("sentence")
    params = sentence.get("params", {}) if isinstance(sentence, dict) else {}
    erased = list(_WRITTEN_BY_THEM.get(str(event.kind), ()))
    if event.kind == Kind.DETAILS_CHANGED and data.get("field") in _PERSONAL_DETAILS:
        erased += ["old", "new"]
    for name in erased:
        if isinstance(params.get(name), str):
            params[name] = ERASED
    summary = scrub.text(event.summary)
    if sentence:
        try:
            with translation.override("en"):
                summary = render_sentence(sentence)[:500]
        except (KeyError, TypeError, ValueError):
            pass  # an old row whose sentence no longer renders keeps its scrubbed summary
    return {"data": data, "summary": summary or ERASED, "actor_label": scrub.text(event.actor_label)}


def erasure_refusal(*, customer: Customer, force: bool = False) -> str | None:
    """Why this customer cannot be erased now, in the reader's language; None when they can."""
    if customer.merged_into_id is not None:
        return _("This record was merged into another one: erase that one, which holds everything.")
    if force:
        return None
    open_cases = list(
        Case.objects.filter(Q(customer=customer) | Q(customer__merged_into=customer))
        .exclude(status=Case.Status.CLOSED)
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    if open_cases:
        return _(
            "Cases %(references)s are still open. Close them first, or choose to erase anyway: the owner "
            "then carries on without the customer's name, address or words."
        ) % {"references": ", ".join(open_cases)}
    return None


@transaction.atomic
def customer_erase(*, actor: User, customer: Customer, force: bool = False) -> Customer:
    """Anonymise the customer on request (see the module's text). Refused while a case is open
    unless `force`; erasing an erased customer changes nothing."""
    _require(
        policies.can_erase_customer_data(actor), _("Only administrators allowed to erase personal data can do this.")
    )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return customer
    refusal = erasure_refusal(customer=customer, force=force)
    if refusal:
        raise RuleViolation(refusal, field="force")
    summary = Sentence(ERASED_ON_REQUEST, {"name": person_name(actor)})
    return erase_personal_data(customer=customer, actor=actor, summary=summary)


def erase_personal_data(*, customer: Customer, actor: User | None, summary: Sentence) -> Customer:
    """The erasure itself, for a customer already authorised and locked by the caller (the request
    above, or the retention period with no actor); `summary` goes on each case's timeline."""
    from contractors.models import IncidentCorrection, IncidentReport, Job, JobCancellation, JobPhoto, Prerequisite
    from correspondence.models import CustomerNotice, OutboundEmail

    now = timezone.now()
    holdings = customer_holdings(customer)
    rows = holdings.rows
    scrub = _Scrubber(holdings.customers)
    text = scrub.text

    _revoke_delegates(holdings)
    _rewrite(
        rows["cases"],
        lambda c: {
            "subject": text(c.subject),
            "description": _marker_if_set(c.description),
            "human_impact": text(c.human_impact),
            "resolution_summary": text(c.resolution_summary),
        },
    )
    _rewrite(rows["messages"], lambda m: _message_text(m, scrub))
    _delete_files(rows["attachments"], "file")
    rows["attachments"].delete()
    _rewrite(
        rows["inbound_deliveries"],
        lambda d: {"sender_name": "", "sender_email": "", "sender_phone": "", "subject": text(d.subject)},
    )
    _delete_files(rows["emails_in"], "raw")
    _rewrite(rows["emails_in"], lambda e: {"raw": "", "from_address": "", "subject": "", "note": text(e.note)})
    _erase_outbox(OutboundEmail.objects.filter(pk__in=rows["emails_out"]), customer, now)
    _erase_notices(CustomerNotice.objects.filter(pk__in=rows["notices"]))
    _rewrite(
        rows["promises"],
        lambda p: {
            "text": text(p.text),
            "owed_to_name": text(p.owed_to_name),
            "resolution_note": text(p.resolution_note),
            "made_by_label": text(p.made_by_label),
        },
    )
    _rewrite(rows["handoffs"], lambda h: {"reason": text(h.reason), "summary": text(h.summary)})
    _rewrite(
        rows["sales"],
        lambda s: {"product": text(s.product), "plan": text(s.plan), "pending_offers": text(s.pending_offers)},
    )
    _rewrite(
        rows["claims"],
        lambda c: {
            "policy_number": "" if c.policy_holder == InsuranceClaim.PolicyHolder.CUSTOMER else c.policy_number,
            "next_action": text(c.next_action),
        },
    )
    _rewrite(rows["surveys"], lambda s: {"comment": _marker_if_set(s.comment)})
    _rewrite(
        rows["flags"],
        lambda f: {"summary": text(f.summary), "data": scrub.data(f.data), "clear_note": text(f.clear_note)},
    )
    _rewrite(rows["notifications"], lambda n: {"summary": text(n.summary)})
    # Every event of their cases, not only those the export shows them.
    _rewrite(TimelineEvent.objects.filter(case__in=rows["cases"]), lambda e: _event_text(e, scrub))
    jobs = Job.objects.filter(pk__in=rows["jobs"])
    _rewrite(
        jobs,
        lambda j: {
            "title": text(j.title),
            "description": text(j.description),
            "contact_window": "",
            "outcome_report": text(j.outcome_report),
        },
    )
    _rewrite(JobCancellation.objects.filter(job__in=jobs), lambda c: {"note": text(c.note)})
    _rewrite(
        Prerequisite.objects.filter(job__in=jobs),
        lambda p: {"description": text(p.description), "responsible_name": text(p.responsible_name)},
    )
    incidents = IncidentReport.objects.filter(job__in=jobs)
    _rewrite(
        incidents,
        lambda i: {"what": text(i.what), "location": text(i.location), "immediate_action": text(i.immediate_action)},
    )
    _rewrite(IncidentCorrection.objects.filter(incident__in=incidents), lambda c: {"text": text(c.text)})
    photos = JobPhoto.objects.filter(job__in=jobs)
    _delete_files(photos, "file")
    photos.delete()

    _erase_people(holdings, actor=actor, now=now)
    for case in Case.objects.filter(pk__in=holdings.case_ids).select_related("customer"):
        _audit(case=case, actor=actor, summary=summary)
    return Customer.objects.get(pk=customer.pk)


def _message_text(message: Message, scrub: _Scrubber) -> dict[str, str]:
    # What the customer (or someone for them) wrote goes whole; staff's words lose the person.
    body = ERASED if message.direction == Message.Direction.INBOUND else scrub.text(message.body)
    return {"body": body, "body_html": render_body(body), "author_label": scrub.text(message.author_label)}


def _revoke_delegates(holdings: Holdings) -> None:
    now = timezone.now()
    cases = list(holdings.rows["cases"])
    for delegate in holdings.rows["delegates"].select_related("user", "customer"):
        remove_perm(f"people.{policies.DELEGATE_PERM}", delegate.user, delegate.customer)
        for case in cases:
            remove_perm(f"cases.{policies.DELEGATE_PERM}", delegate.user, case)
    holdings.rows["delegates"].filter(revoked_at__isnull=True).update(revoked_at=now)
    holdings.rows["delegates"].update(relationship=ERASED)  # required: "son", "carer"… says whose family


def _erase_outbox(emails: QuerySet[Any], customer: Customer, now: Any) -> None:
    # Not sent yet: never sent now (the address is gone), and the owner sees why.
    emails.filter(status__in=["queued", "sending"]).update(
        status="failed", failed_at=now, failure_reason=_("The customer's personal data was erased.")
    )
    emails.update(
        to_address=f"erased-{customer.pk}@erased.invalid",
        to_name="",
        subject=ERASED,
        body_text=ERASED,
        body_html=ERASED,
    )


def _erase_notices(notices: QuerySet[Any]) -> None:
    _delete_files(notices, "letter")
    for notice in notices.exclude(letter=""):
        # A letter notice must keep a file (a database rule): a one-line text in place of the PDF.
        notice.letter.save(f"erased-{notice.pk}.txt", ContentFile(ERASED.encode()), save=False)
        type(notice)._base_manager.filter(pk=notice.pk).update(letter=notice.letter.name)
    notices.update(recipient_name=ERASED, subject=ERASED, text=ERASED)


_ERASED_CUSTOMER = {
    "email": "",
    "phone": "",
    "address": "",
    "postcode": "",
    "vulnerability_notes": "",
    "access_notes": "",
}


def _erase_people(holdings: Holdings, *, actor: User | None, now: Any) -> None:
    customer_type = ContentType.objects.get_for_model(Customer)
    user_type = ContentType.objects.get_for_model(User)
    for customer in holdings.customers:
        Customer.history.filter(id=customer.pk).update(full_name=erased_name(customer), **_ERASED_CUSTOMER)
        LogEntry.objects.filter(content_type=customer_type, object_id=str(customer.pk)).update(
            object_repr=erased_name(customer)
        )
        for name, value in _ERASED_CUSTOMER.items():
            setattr(customer, name, value)
        customer.full_name = erased_name(customer)
        customer.erased_at = now
        customer._history_user = actor
        customer.save()
        user = customer.user
        if user is not None:
            # Kept (timeline events and messages point at it) but never usable again.
            user.username = f"erased-{user.pk}"
            user.first_name = user.last_name = user.email = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
            LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(object_repr=user.username)
