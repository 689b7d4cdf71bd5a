"""Who an event says did it (``by``) and whose address it carries, from the audit row's
detail alone: the customer, our staff, or the service on its own schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from entryway.core.events import AuditAction
from entryway.core.webhooks import EVENTS, SecurityEvent, by_staff, payload

AT = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def _data(action: AuditAction, **detail: Any) -> dict[str, Any]:
    out = payload(
        EVENTS[action], site="us", subject="s", action=action, at=AT, ip="203.0.113.9",
        detail=detail,
    )  # fmt: skip
    data: dict[str, Any] = out["data"]
    return data


@pytest.mark.parametrize("how", ["sign_in", "link"])
def test_a_recovery_the_customer_stopped_is_theirs(how: str) -> None:
    data = _data(AuditAction.RECOVERY_CANCELLED, recovery="r1", by=how)
    assert (data["by"], data["ip"], data["recovery"]) == ("customer", "203.0.113.9", "r1")


@pytest.mark.parametrize("how", ["suspension", "lock"])
def test_a_recovery_our_staff_stopped_is_theirs(how: str) -> None:
    data = _data(AuditAction.RECOVERY_CANCELLED, recovery="r1", by=how)
    assert (data["by"], data["ip"]) == ("staff", "")


def test_a_staff_id_or_the_command_line_is_staff() -> None:
    assert _data(AuditAction.SUSPENSION_LIFTED, by="cli", suspension="x")["by"] == "staff"
    assert _data(AuditAction.AGENT_ACCOUNT_REOPENED, staff="s-1", reason="asked")["by"] == "staff"
    assert "reason" not in _data(AuditAction.AGENT_ACCOUNT_REOPENED, staff="s-1", reason="asked")


def test_an_erasure_is_the_services_own_and_carries_no_address() -> None:
    data = _data(AuditAction.ACCOUNT_ERASED, by="housekeeping")
    assert (data["by"], data["ip"]) == ("system", "")


def test_a_closing_says_when_it_is_erased() -> None:
    data = _data(AuditAction.ACCOUNT_CLOSED, erase_after="2027-01-03")
    assert (data["by"], data["erase_after"]) == ("customer", "2027-01-03")
    assert EVENTS[AuditAction.ACCOUNT_CLOSED] is SecurityEvent.ACCOUNT_CLOSED


def test_by_staff_reads_the_detail_keys() -> None:
    assert not by_staff({}) and not by_staff({"by": "sign_in"}) and by_staff({"staff": "s"})
    assert by_staff({"by": "s-123"}) and by_staff({"by": "housekeeping"})
