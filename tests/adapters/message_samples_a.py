"""Sample values for the notice and support case message templates (test_message_templates).

``SAMPLES`` maps a template name (``<name>`` for ``messages/<name>.txt``, ``<name>.sms`` for
``messages/<name>.sms.txt``) to its values, or to a list of values, one per variant the
template words differently. Lengths are realistic: links carry a 43-character token, like
the ones the flows make."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from entryway.settings import demo_sites

TOKEN = "Zk3vQ9xL2mW8pR5tY7uB1nC4dF6gH0jKsA-eI_oUqTw"  # 43 characters, as new_token makes
UNLOCK = f"http://ca.localhost:8000/unlock?token={TOKEN}"
CASE = f"http://ca.localhost:8000/cases/open/{TOKEN}"
REPLY = (
    "Hello Ana, we checked your order <b>1042</b> & the refund is on its way.\n\n"
    "It should reach your card within 5 business days."
)
EXCERPT = "Hello Ana, we checked your order <b>1042</b> & the refund is on its way. It…"
ASKED = next(site for site in demo_sites(8000) if site.code == "us")

TWO_STEP: list[dict[str, Any]] = [
    {"change": "app_added", "app_number": 0, "phone": ""},
    {"change": "app_added", "app_number": 2, "phone": ""},
    {"change": "app_on", "app_number": 0, "phone": ""},
    {"change": "phone_added", "app_number": 0, "phone": "•••-•••-0188"},
    {"change": "phone_on", "app_number": 0, "phone": "•••-•••-0188"},
    {"change": "method_removed", "app_number": 0, "phone": ""},
    {"change": "off", "app_number": 0, "phone": ""},
    {"change": "backup_codes", "app_number": 0, "phone": ""},
]
DID = (
    "viewed_email",
    "viewed_phone",
    "reset_sent",
    "unlock_sent",
    "unlocked",
    "signed_out",
    "reopened",
)
ERASED_ON = datetime(2027, 1, 3, 18, 0, tzinfo=UTC)  # a grace period after a closing
REGISTERED: list[dict[str, Any]] = [
    {"closed": False, "until": ERASED_ON},
    {"closed": True, "until": ERASED_ON},
]
AGENT: list[dict[str, Any]] = [
    {"number": "40718263", "did": did, "sent_to": "a***@example.com" if did == "reset_sent" else ""}
    for did in DID
]
CONTACTS: list[dict[str, Any]] = [
    {"which": which, "added": added, "new_masked": masked}
    for which, masked in (("email", "a***@example.com"), ("phone", "•••-•••-0188"))
    for added in (True, False)
]

SAMPLES: dict[str, dict[str, Any] | list[dict[str, Any]]] = {
    "verify_account": {"code": "482913"},
    "verify_contact": {"code": "482913"},
    "one_time_code.sms": {"code": "482913"},
    "one_time_code_voice.sms": {"code": "482913"},
    "already_registered": REGISTERED,
    "already_registered.sms": REGISTERED,
    "close_code": {"code": "482913"},
    "close_code.sms": {"code": "482913"},
    "account_closed": {"until": ERASED_ON},
    "account_closed.sms": {"until": ERASED_ON},
    "reset_closed": {"until": ERASED_ON},
    "reset_closed.sms": {"until": ERASED_ON},
    "wrong_site": {"asked": ASKED},
    "wrong_site.sms": {"asked": ASKED},
    "contact_changed": CONTACTS,
    "contact_changed.sms": CONTACTS,
    "password_changed": {},
    "password_changed.sms": {},
    "reset_code": {"code": "482913"},
    "unlock_code": {"code": "482913"},
    "reset_unknown": {},
    "password_reset": {},
    "password_reset.sms": {},
    "unlocked_new_password": {},
    "unlocked_new_password.sms": {},
    "two_step_changed": TWO_STEP,
    "passkey_changed": [
        {"change": "added", "passkey": "Ana's iPhone"},
        {"change": "removed", "passkey": "Chrome on Mac"},
    ],
    "passkey_changed.sms": [
        {"change": "added", "passkey": "Ana's iPhone"},
        {"change": "removed", "passkey": "x"},
    ],
    "two_step_changed.sms": TWO_STEP,
    "questions_changed": [{"first": True}, {"first": False}],
    "questions_changed.sms": [{"first": True}, {"first": False}],
    "password_known": {},
    "account_locked": [
        {"link": UNLOCK, "new_password": True},
        {"link": UNLOCK, "new_password": False},
    ],
    "account_locked.sms": {"link": UNLOCK},
    "unusual_code": [
        {"code": "482913", "why": why}
        for why in ("", "account_failures", "suspected", "network_failures")
    ],
    "unusual_sign_in": {},
    "unusual_sign_in.sms": {},
    "account_unlocked": {},
    "account_unlocked.sms": {},
    "case_opened": {"number": "40718263", "link": CASE},
    "case_opened.sms": {"number": "40718263", "link": CASE},
    "case_reply": {"number": "40718263", "reply": REPLY, "link": CASE},
    "case_reply.sms": {"number": "40718263", "excerpt": EXCERPT, "link": CASE},
    "case_code": {"number": "40718263", "code": "482913"},
    "case_code.sms": {"number": "40718263", "code": "482913"},
    "agent_action": AGENT,
    "agent_action.sms": AGENT,
    "case_linked": {"number": "40718263"},
    "case_linked.sms": {"number": "40718263"},
}
