"""Where each kind of user lands after signing in: one sign-in page for every surface."""

from django.contrib.auth.models import AnonymousUser, User
from django.urls import NoReverseMatch, reverse

from cases import policies

# Checked in order: a person with two roles lands on the first that applies.
_SURFACES: list[tuple[str, str]] = [
    ("staff", "staff:worklist"),
    ("customer", "my:cases"),
    ("contractor", "contractor:jobs"),
    ("administrator", "admin:index"),
]


def _roles(user: User | AnonymousUser) -> set[str]:
    roles: set[str] = set()
    if policies.is_staff_member(user):
        roles.add("staff")
    if policies.customer_of(user) is not None or policies.is_any_delegate(user):
        roles.add("customer")
    if policies.contractor_company_of(user) is not None:
        roles.add("contractor")
    if policies.is_administrator(user):
        roles.add("administrator")
    return roles


def landing_url_for(user: User | AnonymousUser) -> str | None:
    """The first page of the user's surface, or None when no surface serves them."""
    roles = _roles(user)
    for role, url_name in _SURFACES:
        if role in roles:
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue  # that surface is not installed in this deployment
    return None
