"""The order a customer types at Confirm a recent order: its form only (never whether it is
right, which is weighed later, away from the request), and the currency it is in."""

from __future__ import annotations

import re

from entryway.core.sites import Site
from entryway.errors import InvalidInput

MAX_ORDER_NUMBER = 64
# A sum of money as people type it: digits, and at most two after the point. ASCII digits
# only ("\d" would take other scripts' digits too), at most 12 before the point.
ORDER_TOTAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
CURRENCIES = {"US": "USD", "GB": "GBP", "CA": "CAD"}


def site_currency(site: Site) -> str:
    """The ISO 4217 code the site's shop prices in: its own setting when it has one, else
    the currency of its phone region (Site has no currency field yet)."""
    configured = getattr(site, "currency", "")
    if isinstance(configured, str) and configured:
        return configured
    return CURRENCIES.get(site.phone_region, "USD")


def check_order(order_number: str, order_total: str) -> tuple[str, str]:
    """The order as typed, trimmed, or InvalidInput for a format error (a blank or overlong
    number, a total that is not a sum of money); never whether it is right."""
    number, total = order_number.strip(), order_total.strip()
    if not number:
        raise InvalidInput("Enter the order number.", field="order_number")
    if len(number) > MAX_ORDER_NUMBER or not number.isprintable():
        raise InvalidInput(
            "Enter the order number as it appears on the order, in at most {limit} characters.",
            field="order_number",
            params={"limit": MAX_ORDER_NUMBER},
        )
    total = plain_amount(total)
    if not ORDER_TOTAL.fullmatch(total):
        raise InvalidInput("Enter the order total as a number, like 43.96.", field="order_total")
    return number, total


# What people type around a sum as an order confirmation shows it: a currency sign or code
# before or after ("£29.54", "29.54 GBP", "CA$ 18.00") and thousands separators ("1,204.50").
_MONEY_MARKS = re.compile(r"^(?:[A-Za-z]{1,3}\s?)?[$£€¥]?\s*|\s*(?:[$£€¥]|[A-Za-z]{3})?$")
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?:[.,]|$))")
_DECIMAL_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9]{1,2}$)")  # "43,96", as French writes it


def plain_amount(typed: str) -> str:
    """The digits and point of a sum typed with its currency marks, thousands commas or a
    decimal comma; anything else is left for the format check to refuse."""
    bare = _THOUSANDS.sub("", _MONEY_MARKS.sub("", typed.strip()))
    return _DECIMAL_COMMA.sub(".", bare)
