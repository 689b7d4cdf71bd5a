"""Case states, topics and who may see which (core.cases), table-driven."""

from __future__ import annotations

import pytest

from entryway.core.canned import CANNED, canned
from entryway.core.cases import (
    AGENT_MOVES,
    CUSTOMER_TOPICS,
    CaseState,
    Topic,
    after_agent_reply,
    after_customer_reply,
    agent_may_move,
    is_open,
    may_see,
    visible_topics,
)
from entryway.core.staff import Actor, Role

S = CaseState

MOVES = [
    (S.NEW, S.OPEN, True),
    (S.NEW, S.SOLVED, True),
    (S.OPEN, S.PENDING_CUSTOMER, True),
    (S.OPEN, S.ON_HOLD, True),
    (S.PENDING_CUSTOMER, S.OPEN, True),
    (S.ON_HOLD, S.OPEN, True),
    (S.SOLVED, S.OPEN, True),
    (S.SOLVED, S.CLOSED, False),  # the sweep's alone
    (S.OPEN, S.CLOSED, False),
    (S.OPEN, S.NEW, False),
    (S.CLOSED, S.OPEN, False),
    (S.SOLVED, S.PENDING_CUSTOMER, False),
]


@pytest.mark.parametrize(("current", "target", "allowed"), MOVES)
def test_agent_moves(current: CaseState, target: CaseState, allowed: bool) -> None:
    assert agent_may_move(current, target) is allowed


def test_no_agent_move_closes_or_leaves_closed() -> None:
    assert all(S.CLOSED not in targets for targets in AGENT_MOVES.values())
    assert AGENT_MOVES[S.CLOSED] == frozenset()
    assert set(AGENT_MOVES) == set(CaseState)


@pytest.mark.parametrize(
    ("current", "after_customer", "after_agent"),
    [
        (S.NEW, S.NEW, S.PENDING_CUSTOMER),
        (S.OPEN, S.OPEN, S.PENDING_CUSTOMER),
        (S.PENDING_CUSTOMER, S.OPEN, S.PENDING_CUSTOMER),
        (S.ON_HOLD, S.OPEN, S.PENDING_CUSTOMER),
        (S.SOLVED, S.OPEN, S.SOLVED),
    ],
)
def test_replies(current: CaseState, after_customer: CaseState, after_agent: CaseState) -> None:
    assert after_customer_reply(current) is after_customer
    assert after_agent_reply(current) is after_agent
    assert is_open(current)


def test_a_closed_case_takes_no_replies() -> None:
    assert not is_open(S.CLOSED)
    with pytest.raises(ValueError, match="closed"):
        after_customer_reply(S.CLOSED)
    with pytest.raises(ValueError, match="closed"):
        after_agent_reply(S.CLOSED)


def actor(*roles: Role, sites: tuple[str, ...] = ("us",), everywhere: bool = False) -> Actor:
    return Actor("s1", "s@staff.example", frozenset(roles), frozenset(sites), everywhere)


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((Role.AGENT,), set(CUSTOMER_TOPICS)),
        ((Role.REVIEWER,), {Topic.IDENTITY_REVIEW}),
        ((Role.TRUST,), {Topic.APPEAL}),
        ((Role.ADMIN,), set()),
        ((Role.AGENT, Role.TRUST), {*CUSTOMER_TOPICS, Topic.APPEAL}),
    ],
)
def test_visible_topics(roles: tuple[Role, ...], expected: set[Topic]) -> None:
    assert visible_topics(actor(*roles)) == expected


@pytest.mark.parametrize(
    ("who", "site", "topic", "seen"),
    [
        (actor(Role.AGENT), "us", Topic.LOCKED, True),
        (actor(Role.AGENT), "uk", Topic.LOCKED, False),  # another site
        (actor(Role.AGENT), "us", Topic.IDENTITY_REVIEW, False),  # another role's topic
        (actor(Role.AGENT), "us", Topic.APPEAL, False),
        (actor(Role.AGENT, everywhere=True), "uk", Topic.OTHER, True),
        (actor(Role.REVIEWER), "us", Topic.IDENTITY_REVIEW, True),
        (actor(Role.ADMIN, everywhere=True), "us", Topic.OTHER, False),
    ],
)
def test_may_see(who: Actor, site: str, topic: Topic, seen: bool) -> None:
    assert may_see(who, site, topic) is seen


def test_customers_cannot_pick_the_journeys_topics() -> None:
    assert Topic.IDENTITY_REVIEW not in CUSTOMER_TOPICS and Topic.APPEAL not in CUSTOMER_TOPICS
    assert CUSTOMER_TOPICS[-1] is Topic.OTHER  # "Something else" last


def test_canned_replies_have_unique_keys_and_fill_in_the_site() -> None:
    assert len({c.key for c in CANNED}) == len(CANNED) >= 3
    text = canned("never_ask").render("Acme Market", "https://us.example/password/forgot")
    assert "Acme Market" in text and "https://us.example/password/forgot" in text
    with pytest.raises(ValueError, match="unknown canned reply"):
        canned("nope")
