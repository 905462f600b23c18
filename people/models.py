"""Who is involved in a case: staff (with department and manager) and customers (with delegates)."""

import zoneinfo
from datetime import time
from typing import TYPE_CHECKING, Any

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from people.phones import phone_search_key, phone_tail

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.contrib.auth.models import User


def _language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


class Preference(models.Model):
    """How one signed-in person reads Steward: their language and time zone (every role has one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, choices=_language_choices, default=settings.LANGUAGE_CODE)
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}, {self.time_zone}"


class Department(models.Model):
    """A department of the company; its head is the third step of every escalation ladder."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments_headed",
        help_text=_("Receives flags at escalation level 3."),
        verbose_name=_("head"),
    )
    # The department's working calendar: reply targets, the silent-case period, the confirmation
    # window and escalation delays of the cases its staff own are counted in its working time.
    round_the_clock = models.BooleanField(
        _("round the clock"),
        default=False,
        help_text=_(
            "Count every hour of every day, for a desk that never closes. The working days, hours and "
            "public holidays below are then ignored."
        ),
    )
    working_days = models.CharField(
        _("working days"),
        max_length=7,
        default="12345",
        help_text=_("The days the department works; the other days do not count towards any deadline."),
    )
    opens_at = models.TimeField(_("opens at"), default=time(9, 0), help_text=_("Start of the working day, local time."))
    closes_at = models.TimeField(
        _("closes at"),
        default=time(18, 0),
        help_text=_("End of the working day, local time; it must be later than the opening time on the same day."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Paris",
        help_text=_('The zone of the opening hours, as a name such as "Europe/Paris" or "America/New_York".'),
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=3,
        blank=True,
        default="FR",
        help_text=_(
            'Country whose public holidays the department does not work, as a two-letter code ("FR", "US"). '
            "Leave blank to work on public holidays."
        ),
    )
    holiday_subdivision = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_(
            'Optional region, state or province adding its own holidays, as its code ("57" for Moselle, "NY" for '
            "New York). Leave blank for the national holidays only."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="department_opens_before_closing"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if not self.working_days or any(day not in "1234567" for day in self.working_days):
            errors["working_days"] = gettext("Choose at least one working day.")
        else:
            self.working_days = "".join(sorted(set(self.working_days)))
        if self.opens_at is not None and self.closes_at is not None and self.opens_at >= self.closes_at:
            errors["closes_at"] = gettext("The closing time must be later than the opening time.")
        if self.time_zone not in zoneinfo.available_timezones():
            errors["time_zone"] = gettext("“%(zone)s” is not a time zone name such as “Europe/Paris”.") % {
                "zone": self.time_zone
            }
        supported = holidays.list_supported_countries()
        self.holiday_country = self.holiday_country.strip().upper()
        if self.holiday_country and self.holiday_country not in supported:
            errors["holiday_country"] = gettext("No public holidays are known for the country “%(code)s”.") % {
                "code": self.holiday_country
            }
        elif self.holiday_subdivision.strip():
            given = self.holiday_subdivision.strip()
            regions = supported.get(self.holiday_country, []) if self.holiday_country else []
            canonical = {region.upper(): region for region in regions}
            if not self.holiday_country:
                errors["holiday_subdivision"] = gettext("Choose the country of this region first.")
            elif not regions:
                errors["holiday_subdivision"] = gettext(
                    "The holidays of %(country)s are the same everywhere: leave the region blank."
                ) % {"country": self.holiday_country}
            elif given.upper() not in canonical:
                errors["holiday_subdivision"] = gettext(
                    "“%(code)s” is not a region of %(country)s. Its regions are: %(regions)s."
                ) % {"code": given, "country": self.holiday_country, "regions": ", ".join(regions)}
            else:
                self.holiday_subdivision = canonical[given.upper()]
        if errors:
            raise ValidationError(errors)


class StaffProfile(models.Model):
    """Makes a user a member of staff: only staff may own cases."""

    class Role(models.TextChoices):
        AGENT = "agent", pgettext_lazy("staff role", "Agent")
        MANAGER = "manager", _("Team manager")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="staff", verbose_name=_("department")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_members",
        help_text=_("Receives this person's flags at escalation level 2."),
        verbose_name=_("manager"),
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, help_text=_("Direct line customers may call."))
    working_hours = models.CharField(
        _("working hours"), max_length=100, blank=True, help_text=_('For example "Mon–Fri 9:00–17:00".')
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["agent", "manager"]), name="staffprofile_role_valid"),
            models.CheckConstraint(condition=~Q(manager=models.F("user")), name="staffprofile_not_own_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.department})"


class Routing(models.Model):
    """Who owns a case Steward opens without a person choosing its owner: one row per purpose,
    set by an operator in the admin site (cases/services/routing.py reads it)."""

    class Purpose(models.TextChoices):
        REQUESTS = "requests", _("New requests from customers")
        TRIAGE = "triage", _("Triage of messages from unknown senders")

    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=Purpose.choices,
        unique=True,
        help_text=_(
            "New requests: opened by customers on their pages or through the API, a message after their case "
            "closed, or a message from a known customer by e-mail or phone. Triage: a message nobody can be "
            "matched to, someone answering a case that is not theirs, or an e-mail Steward could not read."
        ),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="routings",
        help_text=_("The least-loaded eligible member of this department owns each new case."),
        verbose_name=_("department"),
    )
    agents = models.BooleanField(_("agents"), default=True, help_text=_("The department's agents may own them."))
    managers = models.BooleanField(
        _("team managers"), default=False, help_text=_("The department's team managers may own them too.")
    )
    head = models.BooleanField(
        _("head of department"),
        default=False,
        help_text=_(
            "The head of this department may own them too. Heads of departments are otherwise left out, "
            "even when they are agents or team managers."
        ),
    )

    class Meta:
        ordering = ["purpose"]
        verbose_name = _("routing of new cases")
        verbose_name_plural = _("routing of new cases")
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=["requests", "triage"]), name="routing_purpose_valid"),
            models.CheckConstraint(
                condition=Q(agents=True) | Q(managers=True) | Q(head=True),
                name="routing_someone_eligible",
                violation_error_message=_("Tick at least one of agents, team managers or head of department."),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(purpose)s: %(department)s") % {
            "purpose": self.get_purpose_display(),
            "department": self.department,
        }


class Service(models.Model):
    """Something a customer holds: fibre broadband, e-mail, a heating contract…"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person or household, with how they like to be reached and what makes them vulnerable."""

    class Channel(models.TextChoices):
        PHONE = "phone", pgettext_lazy("channel", "Phone")
        EMAIL = "email", _("E-mail")
        POST = "post", pgettext_lazy("channel", "Post")
        PORTAL = "portal", _("Self-service portal")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_profile",
        help_text=_("The customer's own sign-in, if they use the self-service pages."),
        verbose_name=_("user"),
    )
    full_name = models.CharField(_("full name"), max_length=200, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    # The number's digits in one spelling (people.phones), kept by save() and the bulk loaders:
    # search and inbound matching find a number through this index, whatever way it was typed.
    phone_digits = models.CharField(_("phone digits"), max_length=40, blank=True, db_index=True, editable=False)
    address = models.TextField(_("address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    service_area = models.CharField(
        _("service area"),
        max_length=60,
        blank=True,
        db_index=True,
        help_text=_("Region or area code used by service alerts."),
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    vulnerability_notes = models.TextField(
        _("vulnerability notes"),
        blank=True,
        help_text=_("Age, health, not at ease with digital channels… Shown prominently to staff."),
    )
    access_notes = models.TextField(
        _("access notes"), blank=True, help_text=_("How to get in: shown to contractors on their jobs.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=_language_choices,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of their e-mails, letters and call scripts."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        help_text=_("Dates and times in their e-mails and letters use it."),
    )
    services = models.ManyToManyField(Service, blank=True, related_name="customers", verbose_name=_("services"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A duplicate record merged into another: its cases, grants and sign-in moved there, and it
    # no longer matches any search, intake or inbound sender (cases.services.merge).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_customers",
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    # Set once the person's data was erased on request or after the retention period
    # (cases.services.privacy): the record stays, anonymised, so the case statistics add up.
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    # Every saved version of the record, with who saved it: what staff were told about a customer's
    # vulnerability on a given day must stay answerable after the notes change.
    history = HistoricalRecords(
        verbose_name=_("customer version"),
        verbose_name_plural=_("customer versions"),
        excluded_fields=["created_at", "phone_digits"],
    )
    # Not a column: django-simple-history records this user as the author of the next saved version.
    _history_user: "User | None"

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("act_for_customer", _("Act for the customer on all their cases")),
            ("export_customer_data", _("Export everything held about a customer")),
            ("erase_customer_data", _("Erase a customer's personal data")),
        ]
        # Intake and inbound mail recognise a caller by these (people.contact): a number by its last
        # nine digits, an e-mail address in any case.
        indexes = [
            models.Index(phone_tail(), name="customer_phone_tail"),
            models.Index(Upper("email"), name="customer_email_upper"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred_channel__in=["phone", "email", "post", "portal"]),
                name="customer_channel_valid",
            ),
            models.CheckConstraint(condition=~Q(full_name=""), name="customer_name_required"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | (Q(merged_at__isnull=False) & ~Q(merged_into=models.F("pk"))),
                name="customer_merged_into_another",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.derive_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields and "phone_digits" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "phone_digits"]
        super().save(*args, **kwargs)

    def derive_search_keys(self) -> None:
        """What search finds the record by, from its details; bulk loaders that bypass save()
        call it themselves."""
        self.phone_digits = phone_search_key(self.phone)

    @property
    def is_vulnerable(self) -> bool:
        return bool(self.vulnerability_notes.strip())


class Delegate(models.Model):
    """Someone the customer (or staff) authorised to act for them: a son, a carer, a social worker.

    The row records who and why; what they may reach is held by django-guardian grants
    on the customer (all cases) or on single cases, written together by the service.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations", verbose_name=_("user")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="delegates", verbose_name=_("customer")
    )
    relationship = models.CharField(
        _("relationship"), max_length=100, help_text=_('For example "son", "carer", "social worker".')
    )
    all_cases = models.BooleanField(_("all cases"), default=True, help_text=_("Granted on every case of the customer."))
    wants_copies = models.BooleanField(
        _("wants copies"),
        default=False,
        help_text=_("Sends them a copy of what Steward tells the customer, by e-mail."),
    )
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("authorised by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    # Not a column: selfservice.selectors.helpers_of sets the cases granted one by one (cases.models
    # Case, a module this one may not import).
    granted_cases: "Sequence[models.Model]"

    class Meta:
        verbose_name = _("delegate")
        verbose_name_plural = _("delegates")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "customer"], condition=Q(revoked_at__isnull=True), name="delegate_one_active_grant"
            ),
            models.CheckConstraint(condition=~Q(relationship=""), name="delegate_relationship_required"),
        ]

    def __str__(self) -> str:
        return gettext("%(user)s for %(customer)s (%(relationship)s)") % {
            "user": self.user,
            "customer": self.customer,
            "relationship": self.relationship,
        }


class CustomerUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE, verbose_name=_("content object"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("customer user object permission")
        verbose_name_plural = _("customer user object permissions")


class CustomerGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE, verbose_name=_("content object"))

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("customer group object permission")
        verbose_name_plural = _("customer group object permissions")
