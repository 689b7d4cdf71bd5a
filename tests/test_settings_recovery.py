"""The recovery's settings: a real deployment refuses a wait under a day, the demo may wait
seconds, and the policy built from them keeps the two waits in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from entryway.bootstrap import UnsafeSettings, build, recovery_policy
from entryway.settings import Settings, demo_sites

SECRET = "k" * 40


def settings(**extra: Any) -> Settings:
    return Settings(secret_key=SECRET, sites=demo_sites(8000), **extra)


def test_the_defaults_wait_three_days_and_a_week_with_two_step() -> None:
    assert settings().problems() == []
    policy = recovery_policy(settings())
    assert policy.wait == timedelta(hours=72)
    assert policy.wait_two_step == timedelta(days=7)
    assert policy.refusal_delay == timedelta(hours=24)
    assert policy.checks_per_day == 3


@pytest.mark.parametrize("name", ["recovery_wait_minutes", "recovery_wait_minutes_two_step"])
def test_outside_demo_mode_a_wait_under_a_day_refuses_to_start(name: str, tmp_path: Any) -> None:
    short = settings(**{name: 1439.5, "database_url": f"sqlite:///{tmp_path}/x.db"})
    found = short.problems()
    assert [p for p in found if f"ENTRYWAY_{name.upper()}" in p and "24 hours" in p], found
    with pytest.raises(UnsafeSettings, match=f"ENTRYWAY_{name.upper()}"):
        build(short)
    assert settings(**{name: 1440 * 8}).problems() == []


def test_the_demo_may_wait_seconds(tmp_path: Any) -> None:
    demo = Settings(
        demo=True,
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp_path}/x.db",
        sites=demo_sites(8000),
        recovery_wait_minutes=0.1,
        recovery_wait_minutes_two_step=0.2,
    )
    assert demo.problems() == []
    assert recovery_policy(demo).wait == timedelta(seconds=6)


def test_a_two_step_wait_shorter_than_the_plain_one_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="must not be shorter"):
        recovery_policy(settings(recovery_wait_minutes=3000, recovery_wait_minutes_two_step=2000))
