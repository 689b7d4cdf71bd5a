"""Staff roles, the actor's scope and console session deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from entryway.core.staff import (
    CONSOLE_ABSOLUTE,
    CONSOLE_IDLE,
    Actor,
    Role,
    StaffLevel,
    format_roles,
    next_idle,
    oversees,
    parse_roles,
    staff_deadlines,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def actor(*roles: Role, sites: set[str] | None = None) -> Actor:
    return Actor("s1", "a@staff.example", frozenset(roles), frozenset(sites or ()), sites is None)


def test_roles_parse_case_blind_and_refuse_unknown_names() -> None:
    assert parse_roles(["Agent", " admin "]) == frozenset({Role.AGENT, Role.ADMIN})
    with pytest.raises(ValueError, match="unknown role 'root'"):
        parse_roles(["root"])
    with pytest.raises(ValueError, match="at least one role"):
        parse_roles([])
    assert format_roles({Role.ADMIN, Role.AGENT}) == "agent,admin"


def test_an_admin_oversees_only_staff_inside_their_sites() -> None:
    everywhere = actor(Role.ADMIN)
    us = actor(Role.ADMIN, sites={"us"})
    assert oversees(everywhere, True, frozenset())
    assert oversees(us, False, frozenset({"us"}))
    assert not oversees(us, False, frozenset({"us", "uk"}))
    assert not oversees(us, True, frozenset())
    assert us.site_scope(["us", "uk", "ca"]) == ["us"]


def test_console_sessions_are_15_minutes_idle_8_hours_absolute() -> None:
    assert staff_deadlines(NOW, StaffLevel.FULL) == (NOW + CONSOLE_IDLE, NOW + CONSOLE_ABSOLUTE)
    assert CONSOLE_IDLE.total_seconds() == 15 * 60
    assert CONSOLE_ABSOLUTE.total_seconds() == 8 * 3600
    idle, absolute = staff_deadlines(NOW, StaffLevel.PARTIAL)
    assert idle == absolute == NOW + timedelta(minutes=10)


def test_the_idle_deadline_moves_at_most_once_a_minute_and_never_past_absolute() -> None:
    idle, absolute = staff_deadlines(NOW, StaffLevel.FULL)
    assert next_idle(NOW + timedelta(seconds=30), idle, absolute) is None
    moved = next_idle(NOW + timedelta(minutes=2), idle, absolute)
    assert moved == NOW + timedelta(minutes=17)
    late = absolute - timedelta(minutes=5)
    assert next_idle(late, late, absolute) == absolute
