"""Paths every message links, and the words the recovery, trust and appeal notices still
share. The notices themselves are templates: ``entryway/messages`` (adapters.messages)."""

from __future__ import annotations

# Until recovery_notices, trust_notices and appeal_notices are templates too (the same
# sentence is messages/_genuine.txt there).
GENUINE = (
    "You can check that this message is really from us: it also appears in the "
    "Message Center on your Login & security page at {origin}/account/messages."
)
RESET = "/password/forgot"  # the page that starts a password reset (web.pages.reset)
CONTACT = "/help/contact"  # "Contact us": leads to Ask us (web.pages.help redirects it)
