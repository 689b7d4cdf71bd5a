"""Masked contacts, to show where a message went without showing the whole address."""

from __future__ import annotations


def mask_email(email: str) -> str:
    """``jane@example.com`` -> ``j***@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(e164: str) -> str:
    """``+15551234567`` -> ``•••-•••-4567`` (last four digits only)."""
    digits = [c for c in e164 if c.isdigit()]
    return "•••-•••-" + "".join(digits[-4:])


def mask(kind: str, value: str) -> str:
    return mask_email(value) if kind == "email" else mask_phone(value)
