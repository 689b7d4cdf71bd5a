"""Sample values for the notices of a lock by our staff (flows/trust/locking), for the
test that renders every message in every locale (test_message_templates)."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, dict[str, Any]] = {
    "account_locked_by_us": {},
    "account_locked_by_us.sms": {},
    "account_unlocked_by_us": {},
    "account_unlocked_by_us.sms": {},
}
