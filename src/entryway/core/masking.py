"""Masked contacts, to show where a message went without showing the whole address."""

from __future__ import annotations


def mask_email(email: str) -> str:
    """``jane@example.com`` -> ``j***@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(e164: str) -> str:
    """Last four digits only, in the shape people know: ``+12015550123`` -> ``•••-•••-0123``
    for North American numbers, ``+447400123456`` -> ``+44 ••••• ••3456`` elsewhere."""
    digits = "".join(c for c in e164 if c.isdigit())
    if e164.startswith("+1"):
        return "•••-•••-" + digits[-4:]
    country = _country_code(digits)
    return f"+{country} ••••• ••{digits[-4:]}" if country else "••••• ••" + digits[-4:]


# ITU country calling codes that are one or two digits long; the rest take three.
_SHORT_CODES = {
    "7",
    "20",
    "27",
    "30",
    "31",
    "32",
    "33",
    "34",
    "36",
    "39",
    "40",
    "41",
    "43",
    "44",
    "45",
    "46",
    "47",
    "48",
    "49",
    "51",
    "52",
    "53",
    "54",
    "55",
    "56",
    "57",
    "58",
    "60",
    "61",
    "62",
    "63",
    "64",
    "65",
    "66",
    "81",
    "82",
    "84",
    "86",
    "90",
    "91",
    "92",
    "93",
    "94",
    "95",
    "98",
}


def _country_code(digits: str) -> str:
    for size in (1, 2, 3):
        if digits[:size] in _SHORT_CODES or size == 3:
            return digits[:size]
    return ""


def mask(kind: str, value: str) -> str:
    return mask_email(value) if kind == "email" else mask_phone(value)
