"""The lockout policy as pure rules: delays, sliding counts and the decision before a hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from entryway.core.lockout import (
    LockPolicy,
    LockReason,
    Standing,
    Verdict,
    decide,
    locks_now,
    over_budget,
    sliding_count,
    wants_code,
)
from entryway.core.outbox import hide_link_tokens

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
HOUR = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LockPolicy()


def standing(
    failures: int = 0,
    *,
    last: datetime | None = None,
    locked_until: datetime | None = None,
    recognised: bool = False,
    ip: int = 0,
) -> Standing:
    return Standing(
        failures=failures,
        last_failure_at=last,
        locked_until=locked_until,
        recognised=recognised,
        ip_failures=ip,
    )


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (2, 0), (3, 1), (4, 2), (5, 4), (7, 16), (8, 30), (9, 30), (500, 30)],
)
def test_delay_doubles_from_the_third_failure_up_to_a_cap(failures: int, seconds: int) -> None:
    assert POLICY.delay(failures) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lock_at": 0}, "lock_at must be at least 1, got 0"),
        ({"lock_at": 10, "known_device_lock_at": 5}, "must not be below lock_at"),
        ({"ip_unusual_at": 50, "ip_refuse_at": 10}, "must not be below"),
        ({"lock_for": timedelta(0)}, "lock_for must be positive"),
        ({"first_delay": timedelta(seconds=5), "longest_delay": timedelta(seconds=1)}, "below"),
    ],
)
def test_inconsistent_policies_are_refused_with_the_value(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        LockPolicy(**kwargs)  # type: ignore[arg-type]


def test_sliding_count_keeps_the_overlapping_share_of_the_previous_window() -> None:
    assert sliding_count(2, 10, HOUR, HOUR, timedelta(hours=1)) == 12  # all of it at the start
    assert sliding_count(2, 10, NOW, HOUR, timedelta(hours=1)) == 7  # half way: half of it
    late = HOUR + timedelta(minutes=59)
    assert sliding_count(2, 10, late, HOUR, timedelta(hours=1)) == 2
    with pytest.raises(ValueError, match="not inside the window"):
        sliding_count(1, 1, HOUR - timedelta(seconds=1), HOUR, timedelta(hours=1))


def test_a_fresh_identifier_goes_ahead() -> None:
    assert decide(POLICY, standing(), NOW).verdict == Verdict.GO


def test_the_limit_locks_unrecognised_devices() -> None:
    assert decide(POLICY, standing(10), NOW).verdict == Verdict.LOCKED
    assert decide(POLICY, standing(9, last=NOW - timedelta(minutes=5)), NOW).verdict == Verdict.GO


def test_a_live_lock_refuses_and_an_expired_one_does_not() -> None:
    live = standing(locked_until=NOW + timedelta(minutes=1))
    assert decide(POLICY, live, NOW).verdict == Verdict.LOCKED
    assert decide(POLICY, standing(locked_until=NOW), NOW).verdict == Verdict.GO


def test_a_recognised_device_ignores_the_lock_and_keeps_a_larger_budget() -> None:
    """SECURITY.md 10: guesses from elsewhere cannot lock the owner out of their browser."""
    locked = NOW + timedelta(hours=1)
    assert decide(POLICY, standing(locked_until=locked, recognised=True), NOW).verdict == "go"
    assert decide(POLICY, standing(15, recognised=True), NOW).verdict == Verdict.GO
    assert decide(POLICY, standing(20, recognised=True), NOW).verdict == Verdict.LOCKED


def test_a_busy_address_is_refused_unless_the_device_is_recognised() -> None:
    assert decide(POLICY, standing(ip=100), NOW).verdict == Verdict.BUSY_NETWORK
    assert decide(POLICY, standing(ip=100, recognised=True), NOW).verdict == Verdict.GO


def test_trying_again_too_soon_waits_with_the_seconds_left() -> None:
    decision = decide(POLICY, standing(4, last=NOW - timedelta(milliseconds=500)), NOW)
    assert decision.verdict == Verdict.WAIT and decision.wait_seconds == 2
    later = decide(POLICY, standing(4, last=NOW - timedelta(seconds=2)), NOW)
    assert later.verdict == Verdict.GO


def test_reservations_past_the_limit_are_over_budget() -> None:
    """SECURITY.md 7: each parallel attempt sees its own count; only the limit's worth pass."""
    passed = [n for n in range(1, 51) if not over_budget(LockPolicy(lock_at=5), n, False)]
    assert passed == [1, 2, 3, 4, 5]
    assert not over_budget(POLICY, 20, recognised=True)
    assert locks_now(POLICY, 10, False) and not locks_now(POLICY, 9, False)


def test_unusual_sign_ins_want_a_code_only_from_unrecognised_devices() -> None:
    assert wants_code(POLICY, 3, 0, recognised=False)
    assert wants_code(POLICY, 0, 20, recognised=False)
    assert not wants_code(POLICY, 2, 19, recognised=False)
    assert not wants_code(POLICY, 9, 99, recognised=True)


def test_guessing_locks_require_a_new_password_and_others_do_not() -> None:
    assert LockReason.PASSWORD_GUESSING.needs_new_password
    assert LockReason.CODE_GUESSING.needs_new_password
    assert not LockReason.OPERATOR.needs_new_password


def test_link_tokens_are_hidden_in_stored_texts() -> None:
    body = "Unlock your account: https://us.example/unlock?token=Abc-_123xyz\nThanks"
    assert hide_link_tokens(body) == (
        "Unlock your account: https://us.example/unlock?token=hidden\nThanks"
    )


def test_locks_in_a_row_are_capped_by_the_failures_allowed_in_a_row() -> None:
    assert POLICY.max_strikes == 10  # 100 failures in a row, 10 per lock
    assert LockPolicy(lock_at=30, known_device_lock_at=30, max_in_a_row=100).max_strikes == 3
    assert LockPolicy(lock_at=200, known_device_lock_at=200).max_strikes == 1


def test_a_suspected_password_always_wants_a_code_from_a_new_device() -> None:
    assert wants_code(POLICY, 0, 0, recognised=False, suspected=True)
    assert not wants_code(POLICY, 0, 0, recognised=True, suspected=True)
