"""Phone numbers as search keys: the digits of a number in one spelling, so that "+33 6 12 34 56 78",
"0033 (0)6 12.34.56.78" and "06 12 34 56 78" are the same key and an index finds them.

The rule (docs/design.md, "Search"): keep the digits only; drop an international call prefix
"00" (so "0044 20…" is "+44 20…"); a French number written with +33, with or without the
"(0)" trunk digit, is stored as the French write it at home: 0 and nine digits. Every other
number keeps its country code. A typed search is keyed the same way and matched on the start
of the stored key; typed without its leading 0 ("6 12 34…", as after "+33") it also matches
the French numbers it begins after their 0.
"""

import re

from django.db.models import CharField, F, Func

FRANCE = "33"
FRENCH_NATIONAL_DIGITS = 9  # after the 0 (or +33): "6 12 34 56 78"
# The last nine digits identify a number however it was typed ("04 78 …", "+33 4 78 …", "0033 4 78 …"):
# intake and inbound mail recognise a caller by them, through an index on the stored key's last nine.
PHONE_TAIL_DIGITS = 9


def phone_search_key(phone: str) -> str:
    """The stored search key of a number (see the module's rule); "" for no digits."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith(FRANCE):
        national = digits[len(FRANCE) :]
        if national.startswith("0"):  # "+33 (0)6 …": the trunk 0 written in brackets
            national = national[1:]
        digits = "0" + national
    return digits


def phone_search_prefixes(typed: str) -> list[str]:
    """The key prefixes a typed (possibly partial) number stands for: its own key, and, when it
    starts with neither 0 nor +33, the French number it would be after a 0."""
    key = phone_search_key(typed)
    if not key:
        return []
    prefixes = [key]
    if not key.startswith("0") and not typed.strip().startswith(("+", "00")):
        prefixes.append("0" + key)
    return prefixes


class PhoneTail(Func):
    """The last nine digits of a stored key, written with literals only: SQLite uses an index
    on an expression only for the very same expression, and Django's Right() binds its length
    as a parameter."""

    function = "RIGHT"
    template = f"RIGHT(%(expressions)s, {PHONE_TAIL_DIGITS})"
    output_field = CharField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        return self.as_sql(compiler, connection, template=f"SUBSTR(%(expressions)s, -{PHONE_TAIL_DIGITS})")


def phone_tail(field: str = "phone_digits") -> PhoneTail:
    """The expression of the index on a stored key's last nine digits (people.Customer.Meta):
    a query must use this same expression for the database to use the index."""
    return PhoneTail(F(field))
