"""How Steward recognises a customer's contact details, wherever it looks them up (intake, search,
inbound messages), and what each preferred channel needs on the record to reach them."""

import re

from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Replace

from people.models import Customer

# The last nine digits identify a number however it was typed: "04 78 …" and "+33 4 78 …" meet.
PHONE_KEY_DIGITS = 9
PHONE_SEPARATORS = (" ", ".", "-", "(", ")", "/", "+")

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


def phone_digits(field: str = "phone") -> Combinable:
    """The stored number without its usual separators, to match a phone_key against in SQL."""
    expression: Combinable = F(field)
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression
