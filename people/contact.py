"""How Steward recognises a customer's contact details, wherever it looks them up (intake, search,
inbound messages), and what each preferred channel needs on the record to reach them."""

import re

from people.models import Customer

# The last nine digits identify a number however it was typed: "04 78 …" and "+33 4 78 …" meet.
# They are matched against Customer.phone_digits, the stored key (people.phones), which keeps them.
PHONE_KEY_DIGITS = 9

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
