"""The suspension reasons catalog: each reason carries what a statement of reasons needs
from the store, and a bad catalog refuses to start."""

from __future__ import annotations

from typing import Any

import pytest

from entryway.core.suspension import DEMO_REASONS, ReasonCatalog, SuspensionReason


def reason(**changes: Any) -> SuspensionReason:
    values: dict[str, Any] = {
        "code": "payment_fraud",
        "title": "Payments we could not accept",
        "explanation": "Cards used without their owners' consent.",
        "terms_section": "7.1",
    }
    return SuspensionReason(**{**values, **changes})


def test_an_appeal_window_defaults_to_six_months() -> None:
    made = reason()
    assert made.appealable and made.appeal_days == 180


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"code": "Payment Fraud"}, "must match"),
        ({"code": ""}, "must match"),
        ({"title": " "}, "title"),
        ({"explanation": ""}, "explanation"),
        ({"explanation": "x" * 1001}, "explanation"),
        ({"terms_section": ""}, "terms section"),
        ({"appeal_days": 30}, "at least six months"),
    ],
)
def test_a_reason_missing_what_a_statement_needs_is_refused(
    changes: dict[str, Any], why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        reason(**changes)


def test_a_reason_that_cannot_be_appealed_needs_no_window() -> None:
    assert not reason(appealable=False, appeal_days=0).appealable


def test_codes_are_unique_and_looked_up() -> None:
    catalog = ReasonCatalog((reason(), reason(code="account_sharing")))
    found = catalog.get("account_sharing")
    assert found is not None and found.code == "account_sharing"
    assert catalog.get("nothing_like_it") is None
    with pytest.raises(ValueError, match="twice"):
        ReasonCatalog((reason(), reason()))


def test_the_demo_ships_a_handful_of_valid_reasons() -> None:
    catalog = ReasonCatalog(DEMO_REASONS)
    codes = {r.code for r in catalog.reasons}
    assert codes == {"payment_fraud", "abusive_reviews", "account_sharing", "returns_abuse"}
    assert all(r.appealable and r.appeal_days >= 180 for r in catalog.reasons)
