"""The table of demo logins printed at the end of `load_demo`: who to sign in as, and what to look at."""

from cases.demo.cast import DEMO_PASSWORD, EMAIL_DOMAIN
from cases.models import Case

# role, username, what to look at ({fibre}, {fix}, {mail}, {moving}, {sales} become case references)
LOGINS = [
    ("administrator", "admin", "/admin/: every record, users, groups and per-object permissions"),
    (
        "staff owner",
        "claire",
        "{fibre}: two cancelled visits, the damage, “back Monday” overdue, two unanswered "
        "e-mails, both insurance claims side by side",
    ),
    ("manager", "marc", "Claire's manager: her flags come up to him when nobody reacts"),
    ("customer", "jeanne", "{fibre}: her owner's name and direct line, what was promised and by when"),
    ("delegate", "paul", "his mother's fibre case, where he writes on her behalf"),
    ("other customer", "omar", "{mail}: the mail-server maintenance on his case; no access to Mrs Martin's"),
    ("contractor user", "thierry", "FibreCo's jobs only: the cancellations, the damage report, his promise"),
    ("other contractor user", "lea", "Lumière Câblage's job only: {moving} at the new address"),
    ("head of department", "helene", "customer relations: the last step of every escalation"),
    ("sales advisor", "samir", "{sales}: handed over from support after a 5/5 survey asking for sales"),
    ("support agent", "sophie", "{fix}: resolved, reminded, waiting for the customer; closing it is refused"),
    ("support agent", "lucas", "{moving}: the warm handoff to field operations; the alert on the mail cases"),
    ("support agent", "emma", "the survey's contact request and the referral to sales"),
    ("field operations", "fatou", "{moving}: handoff read and acknowledged, callback kept on time"),
    ("claims handler", "pierre", "{fibre}: the two insurers, each saying the other should pay"),
    ("customer", "gerard", "{fix}: confirm the November fix works, or say it does not"),
]

# story key → (customer key, subject) to find the case reference in any later run
STORY_CASES = {
    "fibre": ("jeanne", "Fibre broadband installation"),
    "fix": ("gerard", "Router restarts every evening around 20:00"),
    "mail": ("omar", "Cannot send e-mail since this morning"),
    "moving": ("nadia", "Moving house: keep fibre and landline at the new address"),
    "sales": ("henri", "Faster plan for a home office"),
}


def story_references() -> dict[str, str]:
    found: dict[str, str] = {}
    for key, (customer, subject) in STORY_CASES.items():
        case = Case.objects.filter(customer__email=f"{customer}@{EMAIL_DOMAIN}", subject=subject).first()
        found[key] = case.reference if case else "(not loaded)"
    return found


def login_table() -> str:
    """A plain-text table, every login with the same password."""
    references = story_references()
    rows = [(role, username, look.format(**references)) for role, username, look in LOGINS]
    role_width = max(len("role"), *(len(role) for role, _u, _l in rows))
    user_width = max(len("username"), *(len(username) for _r, username, _l in rows))
    lines = [f"Demo logins — every password is: {DEMO_PASSWORD}", ""]
    lines.append(f"{'role'.ljust(role_width)}  {'username'.ljust(user_width)}  what to look at")
    lines.append(f"{'-' * role_width}  {'-' * user_width}  {'-' * 15}")
    lines += [f"{role.ljust(role_width)}  {username.ljust(user_width)}  {look}" for role, username, look in rows]
    return "\n".join(lines)
