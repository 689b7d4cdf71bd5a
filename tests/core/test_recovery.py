"""The recovery's pure rules: what evidence decides, when the old contacts hear of it, and
the policy's own checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from entryway.core.recovery import (
    LIVE_STATES,
    Evidence,
    Notice,
    Outcome,
    RecoveryPolicy,
    RecoveryState,
    decide,
    next_notice,
    notice_times,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BOTH_RIGHT = Evidence(questions_set=True, questions_right=True, orders_known=True, order_right=True)


@pytest.mark.parametrize(
    ("evidence", "outcome"),
    [
        (BOTH_RIGHT, Outcome.WAIT),
        # One right, the other wrong or missing: a person decides.
        (Evidence(True, True, True, False), Outcome.REVIEW),
        (Evidence(True, False, True, True), Outcome.REVIEW),
        (Evidence(True, True, False, False), Outcome.REVIEW),  # lookup down or no orders
        (Evidence(False, False, True, True), Outcome.REVIEW),  # no questions set
        # Nothing that could be checked: a person, not a refusal.
        (Evidence(False, False, False, False), Outcome.REVIEW),
        # Something could be checked and nothing was right: refused.
        (Evidence(True, False, True, False), Outcome.REFUSE),
        (Evidence(True, False, False, False), Outcome.REFUSE),
        (Evidence(False, False, True, False), Outcome.REFUSE),
        # A "right" that could not have been checked does not count.
        (Evidence(False, True, False, True), Outcome.REVIEW),
        # Over the daily cap: refused whatever else was right.
        (Evidence(True, True, True, True, over_cap=True), Outcome.REFUSE),
    ],
)
def test_what_the_evidence_decides(evidence: Evidence, outcome: Outcome) -> None:
    assert decide(evidence) is outcome


@pytest.mark.parametrize(
    "weak", ["two_step", "recent_change", "failed_today", "contact_taken", "cancelled_lately"]
)
def test_strong_evidence_with_any_weak_signal_goes_to_a_person(weak: str) -> None:
    evidence = Evidence(**{**_fields(BOTH_RIGHT), weak: True})
    assert evidence.weak == (weak,)
    assert decide(evidence) is Outcome.REVIEW


def _fields(evidence: Evidence) -> dict[str, bool]:
    return {f.name: getattr(evidence, f.name) for f in dataclasses.fields(evidence)}


def test_live_states_are_the_ones_that_can_still_complete() -> None:
    assert {
        RecoveryState.REQUESTED,
        RecoveryState.REVIEW,
        RecoveryState.WAITING,
        RecoveryState.READY,
    } == LIVE_STATES


def test_notices_at_the_start_halfway_and_a_day_before_the_end() -> None:
    end = T0 + timedelta(hours=72)
    assert notice_times(T0, end) == [
        (Notice.STARTED, T0),
        (Notice.HALFWAY, T0 + timedelta(hours=36)),
        (Notice.LAST_DAY, T0 + timedelta(hours=48)),
    ]


def test_a_short_wait_leaves_out_the_last_day_notice_rather_than_send_two_at_once() -> None:
    end = T0 + timedelta(hours=30)
    assert [n for n, _ in notice_times(T0, end)] == [Notice.STARTED, Notice.HALFWAY]
    with pytest.raises(ValueError, match="ends after it starts"):
        notice_times(T0, T0)


def test_only_the_latest_due_notice_is_sent_after_a_pause() -> None:
    end = T0 + timedelta(days=7)
    assert next_notice(0, T0, end, T0) is Notice.STARTED
    assert next_notice(1, T0, end, T0 + timedelta(days=1)) is None
    assert next_notice(1, T0, end, T0 + timedelta(days=3, hours=12)) is Notice.HALFWAY
    # A server that was down through both later notices sends the last one, once.
    assert next_notice(1, T0, end, T0 + timedelta(days=6, hours=1)) is Notice.LAST_DAY
    assert next_notice(3, T0, end, T0 + timedelta(days=6, hours=1)) is None


def test_the_policy_refuses_inconsistent_waits() -> None:
    with pytest.raises(ValueError, match="wait must be positive"):
        RecoveryPolicy(wait=timedelta(0))
    with pytest.raises(ValueError, match="must not be shorter"):
        RecoveryPolicy(wait=timedelta(days=3), wait_two_step=timedelta(days=1))
    with pytest.raises(ValueError, match="checks_per_day"):
        RecoveryPolicy(checks_per_day=0)
    policy = RecoveryPolicy()
    assert policy.wait_for(False) == timedelta(hours=72)
    assert policy.wait_for(True) == timedelta(days=7)


def test_could_not_verify_never_comes_before_the_refusal_delay_and_is_spread_after_it() -> None:
    policy = RecoveryPolicy(refusal_delay=timedelta(hours=24))
    assert policy.unverified_due(T0, 0.0, T0) == T0 + timedelta(hours=24)
    assert policy.unverified_due(T0, 0.5, T0) == T0 + timedelta(hours=36)
    # A decline made late goes at once, never in the past.
    late = T0 + timedelta(days=5)
    assert policy.unverified_due(T0, 0.5, late) == late
    with pytest.raises(ValueError, match="roll"):
        policy.unverified_due(T0, 1.0, T0)
