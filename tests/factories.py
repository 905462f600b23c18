"""factory_boy factories for the whole cast. Records that services own (cases, messages,
promises…) are built through the services in tests; these factories cover set-up rows."""

from datetime import timedelta

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, ReferenceCounter, ServiceAlert
from contractors.models import ContractorCompany, ContractorUser, Job
from people.models import Customer, Department, Service, StaffProfile

PASSWORD = "steward-test-pass-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "support"
    name = factory.LazyAttribute(lambda d: d.code.replace("-", " ").capitalize())
    # Tests that reason in elapsed hours ("the reply came 25 hours later") run at the real clock,
    # whatever the weekday: their desk never closes. Working-time tests pass a calendar of their own.
    round_the_clock = True


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = StaffProfile.Role.AGENT
    job_title = "Agent"
    working_hours = "Mon–Fri 9:00–17:00"


def make_staff(
    username: str | None = None,
    *,
    department: Department | None = None,
    manager: User | None = None,
    role: str = StaffProfile.Role.AGENT,
    **user_fields: object,
) -> User:
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs, **user_fields)
    StaffProfileFactory(user=user, department=department or DepartmentFactory(), manager=manager, role=role)
    return User.objects.select_related("staff_profile__department").get(pk=user.pk)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = "fibre"
    name = factory.LazyAttribute(lambda s: s.code.capitalize())


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.test")
    phone = factory.Sequence(lambda n: f"+33 6 00 00 {n:04d}")
    address = "12 rue des Lilas"
    postcode = "69003"
    service_area = "69003"
    preferred_channel = Customer.Channel.EMAIL


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractorCompany
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Contractor {n}")

    @factory.post_generation
    def with_group(obj, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        if create and obj.group_id is None:
            obj.group = Group.objects.create(name=f"Contractor: {obj.name}")
            obj.save(update_fields=["group"])


def make_contractor_user(company: ContractorCompany, username: str | None = None, *, admin: bool = False) -> User:
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs)
    ContractorUser.objects.create(user=user, company=company, is_company_admin=admin)
    if company.group_id:
        user.groups.add(company.group)
    return User.objects.select_related("contractor_profile__company").get(pk=user.pk)


def make_case(*, customer: Customer, owner: User, subject: str = "Fibre installation", **fields: object) -> Case:
    """Open a case through the service, as the product does."""
    from cases.services import case_open

    return case_open(actor=owner, customer=customer, owner=owner, subject=subject, **fields)


def make_job(
    *,
    case: Case,
    company: ContractorCompany,
    actor: User,
    title: str = "Install fibre socket",
    prerequisites: tuple[tuple[str, str], ...] = (),
    scheduled: bool = True,
) -> Job:
    from contractors.services import job_request, job_schedule

    job = job_request(actor=actor, case=case, company=company, title=title, prerequisites=prerequisites)
    if scheduled:
        # Today's window: a visit may start without a reason only on the day it is booked for.
        start = timezone.now()
        job = job_schedule(actor=actor, job=job, window_start=start, window_end=start + timedelta(hours=4))
    return job


class ServiceAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAlert

    service = factory.SubFactory(ServiceFactory)
    kind = ServiceAlert.Kind.MAINTENANCE
    title = "Mail server maintenance"
    area = ""
    starts_at = factory.LazyFunction(timezone.now)
    posted_by = factory.LazyFunction(lambda: make_staff())


__all__ = [
    "PASSWORD",
    "CompanyFactory",
    "CustomerFactory",
    "DepartmentFactory",
    "ReferenceCounter",
    "ServiceAlertFactory",
    "ServiceFactory",
    "StaffProfileFactory",
    "UserFactory",
    "make_case",
    "make_contractor_user",
    "make_job",
    "make_staff",
]
