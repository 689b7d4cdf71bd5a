"""Sample values for the recovery, suspension and appeal message templates (one entry per
template name, as ``MessageTemplates.names()`` lists them), for the test that renders every
message in every locale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

WAIT_ENDS = datetime(2026, 1, 18, 12, 0, tzinfo=UTC)
LINK_ENDS = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
APPEAL_ENDS = datetime(2026, 7, 17, 23, 0, tzinfo=UTC)
CANCEL_LINK = (
    "http://ca.localhost:8000/recovery/cancel?token=Q2FuY2VsVG9rZW4xMjM0NTY3ODkwYWJjZGVmZ2hpams"
)
FINISH_LINK = (
    "http://ca.localhost:8000/recovery/finish?token=RmluaXNoVG9rZW4xMjM0NTY3ODkwYWJjZGVmZ2hpams"
)
NOTICE_LINK = (
    "http://ca.localhost:8000/suspension/appeal?token=Tm90aWNlVG9rZW4xMjM0NTY3ODkwYWJjZGVmZ2hpams"
)
# Words a staff member wrote: values, never translated.
FACTS = "Three orders in December were paid with cards their owners reported stolen."
REASON = "The payments on the account were reversed by the card issuers."

_STATEMENT: dict[str, Any] = {
    "facts": FACTS,
    "title": "Payments we could not accept",
    "explanation": "Orders on this account were paid with cards that their owners had not used.",
    "terms_section": "7.1",
    "automated": True,
}

SAMPLES: dict[str, dict[str, Any]] = {
    "recovery_code": {"code": "482913"},
    "recovery_code.sms": {"code": "482913"},
    "recovery_received": {},
    "recovery_received.sms": {},
    "recovery_unverified": {},
    "recovery_unverified.sms": {},
    "recovery_notice": {
        "notice": "started",
        "after": WAIT_ENDS,
        "new_masked": "n***@example.net",
        "link": CANCEL_LINK,
    },
    "recovery_notice.sms": {"notice": "halfway", "link": CANCEL_LINK},
    "recovery_in_review": {"new_masked": "•••-•••-0199", "link": CANCEL_LINK},
    "recovery_tried": {},
    "recovery_tried.sms": {},
    "recovery_scheduled": {"after": WAIT_ENDS},
    "recovery_scheduled.sms": {"after": WAIT_ENDS},
    "recovery_finish": {"link": FINISH_LINK, "until": LINK_ENDS},
    "recovery_finish.sms": {"link": FINISH_LINK},
    "recovery_cancelled_to_new": {},
    "recovery_cancelled_to_new.sms": {},
    "recovery_cancelled_to_old": {"by_sign_in": True},
    "recovery_cancelled_to_old.sms": {},
    "recovery_declined_to_old": {},
    "recovery_declined_to_old.sms": {},
    "recovery_expired_to_new": {},
    "recovery_expired_to_new.sms": {},
    "recovery_finished_old": {},
    "recovery_finished_old.sms": {},
    "recovery_finished_new": {"until": LINK_ENDS},
    "recovery_finished_new.sms": {},
    "suspension_statement": {
        **_STATEMENT,
        "scope_label": "The whole account on this site: it cannot be signed in to",
        "until": None,
        "appeal_url": NOTICE_LINK,
        "appeal_until": APPEAL_ENDS,
    },
    "suspension_statement.sms": {"appeal_url": NOTICE_LINK},
    "warning_statement": dict(_STATEMENT),
    "warning_statement.sms": {},
    "suspension_lifted": {"reason": REASON},
    "suspension_lifted.sms": {},
    "appeal_received": {"number": "K7M-4QX", "appeal": 1},
    "appeal_received.sms": {"number": "K7M-4QX"},
    "appeal_reinstated": {"number": "K7M-4QX", "reason": REASON},
    "appeal_reinstated.sms": {"number": "K7M-4QX"},
    "appeal_upheld": {
        "number": "K7M-4QX",
        "reason": REASON,
        "why_not": None,
        "link": NOTICE_LINK,
        "until": APPEAL_ENDS,
    },
    "appeal_upheld.sms": {"number": "K7M-4QX", "excerpt": REASON, "link": NOTICE_LINK},
}

# Other branches of the same templates, rendered too (the test may take them or not).
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("recovery_notice", {**SAMPLES["recovery_notice"], "notice": "halfway"}),
    ("recovery_notice", {**SAMPLES["recovery_notice"], "notice": "last_day"}),
    ("recovery_notice.sms", {"notice": "started", "link": CANCEL_LINK}),
    ("recovery_notice.sms", {"notice": "last_day", "link": CANCEL_LINK}),
    ("recovery_cancelled_to_old", {"by_sign_in": False}),
    (
        "suspension_statement",
        {
            **SAMPLES["suspension_statement"],
            "until": LINK_ENDS,
            "appeal_url": None,
            "appeal_until": None,
            "automated": False,
            "explanation": "",
            "terms_section": "",
        },
    ),
    ("suspension_statement.sms", {"appeal_url": None}),
    ("appeal_received", {"number": "K7M-4QX", "appeal": 2}),
    (
        "appeal_upheld",
        {
            **SAMPLES["appeal_upheld"],
            "why_not": "The time to appeal this decision has ended.",
            "link": None,
            "until": None,
        },
    ),
    ("appeal_upheld", {**SAMPLES["appeal_upheld"], "link": None, "until": None}),
    ("appeal_upheld.sms", {"number": "K7M-4QX", "excerpt": REASON, "link": None}),
]
