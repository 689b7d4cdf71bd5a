"""The order total as people type it: the currency's sign or code and thousands commas are
taken off, and only then is the sum's form checked (never whether it is right)."""

from __future__ import annotations

import pytest

from entryway.errors import InvalidInput
from entryway.flows.recovery.typed_order import check_order


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("43.96", "43.96"),
        ("43", "43"),
        ("£29.54", "29.54"),
        ("29.54 GBP", "29.54"),
        ("CA$ 18.00", "18.00"),
        ("$1,204.50", "1204.50"),
        ("USD 43.96", "43.96"),
        ("43,96 $", "43.96"),
        ("  €12 ", "12"),
    ],
)
def test_a_total_typed_as_an_order_shows_it_is_read_as_its_sum(typed: str, kept: str) -> None:
    assert check_order("US-1001", typed) == ("US-1001", kept)


@pytest.mark.parametrize("typed", ["", "abc", "12.5.3", "1,2345", "-4", "43.961", "4 3"])
def test_anything_else_is_a_format_error_on_the_total(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_order("US-1001", typed)
    assert refused.value.field == "order_total"
