"""The suspension_reasons setting: a store's own catalog, checked at start; the demo's
reasons in demo mode only."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from entryway.core.suspension import DEMO_REASONS
from entryway.settings import Settings

OWN = {
    "code": "chargebacks",
    "title": "Payments taken back",
    "explanation": "Payments for delivered orders were taken back by the bank.",
    "terms_section": "12",
}


def test_unset_means_none_outside_demo_mode_and_the_demos_in_it() -> None:
    assert Settings().reason_catalog().reasons == ()
    assert Settings(demo=True).reason_catalog().reasons == DEMO_REASONS


def test_a_stores_catalog_replaces_the_demos() -> None:
    catalog = Settings(demo=True, suspension_reasons=[OWN]).reason_catalog()
    assert [r.code for r in catalog.reasons] == ["chargebacks"]
    assert catalog.reasons[0].appeal_days == 180


@pytest.mark.parametrize(
    ("reasons", "why"),
    [
        ([OWN, OWN], "twice"),
        ([{**OWN, "terms_section": ""}], "terms section"),
        ([{**OWN, "appeal_days": 10}], "six months"),
    ],
)
def test_a_bad_catalog_refuses_to_start(reasons: list[dict[str, Any]], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Settings(suspension_reasons=reasons)


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTRYWAY_SUSPENSION_REASONS", '[{"code": "x", "title": "X", '
                       '"explanation": "Why.", "terms_section": "1"}]')  # fmt: skip
    assert [r.code for r in Settings().reason_catalog().reasons] == ["x"]
