"""How Steward recognises a customer's contact details, wherever it looks them up (intake, search,
inbound messages), and what each preferred channel needs on the record to reach them."""

import re

from django.db.models import F, Q, Value
from django.db.models.functions import Upper
from django.db.models.lookups import EndsWith, Exact

from people.models import Customer
from people.phones import PHONE_TAIL_DIGITS, phone_tail

# The last nine digits identify a number however it was typed ("04 78 …", "+33 4 78 …").
PHONE_KEY_DIGITS = PHONE_TAIL_DIGITS

# The detail each preferred channel needs on the customer's record.
CHANNEL_NEEDS: dict[str, str] = {
    Customer.Channel.EMAIL: "email",
    Customer.Channel.PORTAL: "email",
    Customer.Channel.PHONE: "phone",
    Customer.Channel.POST: "address",
}


def phone_key(phone: str) -> str:
    """The digits that identify a number: the last nine, or all of them for a shorter fragment."""
    return re.sub(r"\D", "", phone or "")[-PHONE_KEY_DIGITS:]


def phone_ending(key: str) -> Q:
    """Customers whose number ends with `key` (phone_key): for a whole number's nine digits a
    lookup in the index on the stored key's last nine (people.Customer.Meta); a shorter key, a
    short number, is compared by its end."""
    if len(key) == PHONE_KEY_DIGITS:
        return Q(Exact(phone_tail(), Value(key)))
    return Q(EndsWith(F("phone_digits"), Value(key)))


def same_email(address: str) -> Q:
    """Customers with this e-mail address in any case, through the index on UPPER(email)."""
    return Q(Exact(Upper(F("email")), Upper(Value(address))))
