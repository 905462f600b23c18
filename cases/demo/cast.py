"""The demo's people: departments with heads, staff with managers, customers, a delegate,
two contractor companies and an administrator, all signing in with one demo password."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from cases.demo.clock import clock_at
from contractors.models import ContractorCompany
from contractors.services import company_create, contractor_user_add
from people.models import Customer, Department, Routing, Service, StaffProfile
from people.preferences import preference_set

# Printed at the end of every run; these accounts exist only in demo databases.
DEMO_PASSWORD = "steward-demo"  # noqa: S105 — the documented demo password, refused outside DEBUG by the command
EMAIL_DOMAIN = "steward-demo.test"
FIBRE_CUSTOMER_EMAIL = f"jeanne@{EMAIL_DOMAIN}"

SERVICES = [
    ("fibre", "Fibre broadband"),
    ("email", "E-mail"),
    ("landline", "Landline"),
    ("router", "Home router"),
    ("tv", "TV"),
]

# code, name, head's username
DEPARTMENTS = [
    ("sales", "Sales", "isabelle"),
    ("support", "Support", "thomas"),
    ("field-operations", "Field operations", "karim"),
    ("claims", "Claims", "anne"),
    ("customer-relations", "Customer relations", "helene"),
]

ROUTED_DEPARTMENT = "customer-relations"

# username, first name, last name, department, role, manager, job title; heads come first
AGENT, MANAGER = StaffProfile.Role.AGENT, StaffProfile.Role.MANAGER
STAFF = [
    ("isabelle", "Isabelle", "Roux", "sales", MANAGER, None, "Head of sales"),
    ("thomas", "Thomas", "Petit", "support", MANAGER, None, "Head of support"),
    ("karim", "Karim", "Mansour", "field-operations", MANAGER, None, "Head of field operations"),
    ("anne", "Anne", "Mercier", "claims", MANAGER, None, "Head of claims"),
    ("helene", "Hélène", "Girard", "customer-relations", MANAGER, None, "Head of customer relations"),
    ("marc", "Marc", "Dupuis", "customer-relations", MANAGER, "helene", "Customer relations team manager"),
    ("julien", "Julien", "Blanc", "support", MANAGER, "thomas", "Support team manager"),
    ("claire", "Claire", "Fontaine", "customer-relations", AGENT, "marc", "Customer relations agent"),
    ("nora", "Nora", "Vidal", "customer-relations", AGENT, "marc", "Customer relations agent"),
    ("samir", "Samir", "Haddad", "sales", AGENT, "isabelle", "Sales advisor"),
    ("chloe", "Chloé", "Marchand", "sales", AGENT, "isabelle", "Sales advisor"),
    ("sophie", "Sophie", "Laurent", "support", AGENT, "julien", "Support agent"),
    ("lucas", "Lucas", "Moreau", "support", AGENT, "julien", "Support agent"),
    ("emma", "Emma", "Bernard", "support", AGENT, "julien", "Support agent"),
    ("fatou", "Fatou", "Diallo", "field-operations", AGENT, "karim", "Field operations coordinator"),
    ("yanis", "Yanis", "Perrin", "field-operations", AGENT, "karim", "Field operations coordinator"),
    ("pierre", "Pierre", "Garnier", "claims", AGENT, "anne", "Claims handler"),
    ("ines", "Inès", "Robert", "claims", AGENT, "anne", "Claims handler"),
]

# key, login (or None), full name, phone, address, postcode, channel, services, vulnerability notes
CUSTOMERS = [
    (
        "jeanne",
        "jeanne",
        "Jeanne Martin",
        "+33 4 78 25 14 07",
        "4 impasse des Tilleuls, 69005 Lyon",
        "69005",
        Customer.Channel.PHONE,
        ["fibre", "landline"],
        "89 years old, not at ease with computers; prefers phone calls",
    ),
    (
        "omar",
        "omar",
        "Omar Chevalier",
        "+33 6 12 40 88 31",
        "18 rue Paul Bert, 69003 Lyon",
        "69003",
        Customer.Channel.PORTAL,
        ["fibre", "email"],
        "",
    ),
    (
        "lucie",
        None,
        "Lucie Fabre",
        "+33 6 71 05 22 90",
        "7 cours Gambetta, 69003 Lyon",
        "69003",
        Customer.Channel.PHONE,
        ["fibre", "email", "tv"],
        "",
    ),
    (
        "victor",
        None,
        "Victor Roussel",
        "+33 6 30 19 47 55",
        "52 rue Garibaldi, 69003 Lyon",
        "69003",
        Customer.Channel.EMAIL,
        ["email", "landline"],
        "",
    ),
    (
        "aicha",
        None,
        "Aïcha Traoré",
        "+33 7 81 62 03 14",
        "3 place Guichard, 69003 Lyon",
        "69003",
        Customer.Channel.EMAIL,
        ["fibre", "email"],
        "",
    ),
    (
        "gerard",
        "gerard",
        "Gérard Lambert",
        "+33 4 72 61 30 48",
        "11 quai Saint-Vincent, 69001 Lyon",
        "69001",
        Customer.Channel.EMAIL,
        ["fibre", "router"],
        "",
    ),
    (
        "nadia",
        None,
        "Nadia Benali",
        "+33 6 45 77 12 09",
        "26 rue de Marseille, 69007 Lyon",
        "69007",
        Customer.Channel.PHONE,
        ["fibre", "landline"],
        "",
    ),
    (
        "henri",
        "henri",
        "Henri Dubois",
        "+33 6 88 14 52 36",
        "9 montée du Gourguillon, 69005 Lyon",
        "69005",
        Customer.Channel.EMAIL,
        ["fibre", "router"],
        "",
    ),
]

# key, company name, phone, users: (username, first name, last name, company admin)
COMPANIES = [
    ("fibreco", "FibreCo Installations", "+33 4 78 90 12 34", [("thierry", "Thierry", "Bonnet", False)]),
    ("lumiere", "Lumière Câblage", "+33 4 72 33 45 67", [("lea", "Léa", "Colin", True)]),
]

ADMIN_USERNAME = "admin"
DELEGATE_USERNAME = "paul"

# The demo happens in Lyon: staff, customers and Paul read Steward in French, except one member of staff and
# one customer, so the demo shows both languages. The administrator and the contractor users get theirs from
# their browser at their first sign-in, as any new account does.
ENGLISH_SPEAKERS = {"sophie", "omar"}
DEMO_TIME_ZONE = "Europe/Paris"


def _language_of(key: str) -> str:
    return "en" if key in ENGLISH_SPEAKERS else "fr"


def _set_preference(user: User, key: str) -> None:
    preference_set(user=user, language=_language_of(key), time_zone=DEMO_TIME_ZONE)


@dataclass
class Cast:
    staff: dict[str, User] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    companies: dict[str, ContractorCompany] = field(default_factory=dict)
    contractors: dict[str, User] = field(default_factory=dict)
    delegate: User | None = None
    administrator: User | None = None


def demo_usernames() -> list[str]:
    customers = [login for _key, login, *_rest in CUSTOMERS if login]
    contractors = [user[0] for _key, _name, _phone, users in COMPANIES for user in users]
    return [ADMIN_USERNAME, DELEGATE_USERNAME, *(row[0] for row in STAFF), *customers, *contractors]


def _user(username: str, first: str, last: str, password_hash: str, joined: datetime, **flags: bool) -> User:
    return User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@{EMAIL_DOMAIN}",
        password=password_hash,
        date_joined=joined,
        **flags,
    )


def _build_staff(cast: Cast, password_hash: str, joined: datetime) -> None:
    # Departments and services may already exist in a real database: reuse them, never rename.
    departments = {
        code: Department.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name, _h in DEPARTMENTS
    }
    for username, first, last, code, role, manager, title in STAFF:
        user = _user(username, first, last, password_hash, joined)
        _set_preference(user, username)
        StaffProfile.objects.create(
            user=user,
            department=departments[code],
            role=role,
            manager=cast.staff.get(manager) if manager else None,
            job_title=title,
            phone=f"+33 4 26 00 {len(cast.staff) + 10:02d} 00",
            working_hours="Mon–Fri 9:00–17:30",
        )
        cast.staff[username] = user
    for code, _name, head in DEPARTMENTS:
        if departments[code].head_id is None:
            departments[code].head = cast.staff[head]
            departments[code].save(update_fields=["head"])
    # Customer relations' agents take new requests and triage, unless an operator already chose.
    for purpose in Routing.Purpose:
        Routing.objects.get_or_create(purpose=purpose, defaults={"department": departments[ROUTED_DEPARTMENT]})
    # Re-read with profiles attached, as the services expect.
    cast.staff = {
        u.username: u
        for u in User.objects.filter(pk__in=[u.pk for u in cast.staff.values()]).select_related(
            "staff_profile__department"
        )
    }


def _build_customers(cast: Cast, password_hash: str, joined: datetime) -> None:
    for key, login, full_name, phone, address, postcode, channel, services, notes in CUSTOMERS:
        user = None
        if login:
            first, last = full_name.split(" ", 1)
            user = _user(login, first, last, password_hash, joined)
        customer = Customer.objects.create(
            user=user,
            full_name=full_name,
            email=f"{key}@{EMAIL_DOMAIN}",
            phone=phone,
            address=address,
            postcode=postcode,
            service_area=postcode,
            preferred_channel=channel,
            vulnerability_notes=notes,
            access_notes="Ground floor; ring twice, Mrs Martin is slow to reach the door." if key == "jeanne" else "",
            language=_language_of(key),
            time_zone=DEMO_TIME_ZONE,
        )
        if user is not None:
            _set_preference(user, key)
        customer.services.set([cast.services[code] for code in services])
        cast.customers[key] = customer


def _build_contractors(cast: Cast, password_hash: str, joined: datetime) -> None:
    for key, name, phone, users in COMPANIES:
        slug = key.lower()
        company = company_create(name=name, phone=phone, email=f"contact@{slug}.{EMAIL_DOMAIN}")
        cast.companies[key] = company
        for username, first, last, is_admin in users:
            user = _user(username, first, last, password_hash, joined)
            contractor_user_add(actor=None, company=company, user=user, is_company_admin=is_admin)
            cast.contractors[username] = User.objects.select_related("contractor_profile__company").get(pk=user.pk)


@transaction.atomic
def build_cast(*, since: datetime) -> Cast:
    """Create everyone the stories need; `since` is when the customers became customers."""
    cast = Cast()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: every demo login shares it
    joined = since - timedelta(days=365)
    with clock_at(since):
        cast.services = {
            code: Service.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in SERVICES
        }
        _build_staff(cast, password_hash, joined)
        _build_customers(cast, password_hash, since)
        _build_contractors(cast, password_hash, joined)
        cast.delegate = _user(DELEGATE_USERNAME, "Paul", "Martin", password_hash, since)
        _set_preference(cast.delegate, DELEGATE_USERNAME)
        cast.administrator = _user(
            ADMIN_USERNAME, "Ada", "Admin", password_hash, joined, is_staff=True, is_superuser=True
        )
    return cast


def demo_clashes() -> list[str]:
    """Existing accounts or companies the demo would need to create: it never takes them over."""
    users = User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True)
    companies = ContractorCompany.objects.filter(name__in=[name for _k, name, _p, _u in COMPANIES])
    return [f"user {name}" for name in sorted(users)] + [f"company {c.name}" for c in companies]
