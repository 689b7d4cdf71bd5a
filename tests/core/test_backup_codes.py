"""Backup codes: enough entropy, distinct, readable, and forgiving of how people type them."""

from __future__ import annotations

import math
import re
import secrets
from itertools import cycle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryway.core.backup_codes import (
    ALPHABET,
    format_backup_code,
    new_backup_codes,
    normalize_backup_code,
)
from entryway.core.secrets import Random

RNG = Random(token_bytes=secrets.token_bytes, randbelow=secrets.randbelow)
SHOWN = re.compile(rf"[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{3}}")


def test_alphabet_is_32_distinct_lower_case_characters_without_look_alike_pairs() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert ALPHABET.islower()
    assert ALPHABET.isascii()
    assert ALPHABET.isalnum()
    # Each look-alike family keeps at most one member.
    for family in ("0o", "1il", "uv"):
        assert sum(ch in ALPHABET for ch in family) <= 1, family


def test_ten_codes_by_default_and_as_many_as_asked() -> None:
    assert len(new_backup_codes(RNG)) == 10
    assert len(new_backup_codes(RNG, count=1)) == 1
    assert len(new_backup_codes(RNG, count=20)) == 20


@pytest.mark.parametrize("count", [0, -1, 101])
def test_unreasonable_counts_are_refused(count: int) -> None:
    with pytest.raises(ValueError, match=f"got {count}"):
        new_backup_codes(RNG, count=count)


def test_codes_are_distinct() -> None:
    codes = new_backup_codes(RNG, count=100)
    assert len(set(codes)) == 100


def test_a_repeated_draw_is_replaced() -> None:
    # The first two codes drawn are identical; the set handed out must still be distinct.
    draws = iter([0] * 32 + list(range(32)) * 2)
    fixed = Random(token_bytes=secrets.token_bytes, randbelow=lambda n: next(draws) % n)
    codes = new_backup_codes(fixed, count=2)
    assert codes[0] == "0000-0000-0000-0000"
    assert len(set(codes)) == 2


def test_a_source_that_only_repeats_itself_is_an_error() -> None:
    stuck = Random(token_bytes=secrets.token_bytes, randbelow=lambda n: 0)
    with pytest.raises(RuntimeError, match="repeating"):
        new_backup_codes(stuck, count=2)


def test_each_code_carries_80_bits() -> None:
    code = normalize_backup_code(new_backup_codes(RNG, count=1)[0])
    bits = len(code) * math.log2(len(ALPHABET))
    assert (len(code), bits) == (16, 80.0)
    assert bits >= 64  # SECURITY.md's floor for codes that stand in for a password


def test_every_character_is_drawn_uniformly_from_the_alphabet() -> None:
    # randbelow is asked for exactly len(ALPHABET), and each answer picks that character.
    asked: list[int] = []
    order = cycle(range(32))

    def randbelow(n: int) -> int:
        asked.append(n)
        return next(order)

    codes = new_backup_codes(Random(token_bytes=secrets.token_bytes, randbelow=randbelow), 2)
    assert set(asked) == {32} and len(asked) == 32
    assert "".join(normalize_backup_code(c) for c in codes) == ALPHABET


def test_codes_are_shown_as_four_dashed_groups_of_four() -> None:
    for code in new_backup_codes(RNG, count=50):
        assert SHOWN.fullmatch(code), code
    assert format_backup_code("abcdefghjkmnpqrs") == "abcd-efgh-jkmn-pqrs"


@pytest.mark.parametrize(
    ("canonical", "message"),
    [("abcd", "got 4"), ("abcd-efgh-jkmn-pq", "got 17"), ("abcdefghjkmnpqru", "'u'")],
)
def test_format_refuses_what_is_not_canonical(canonical: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        format_backup_code(canonical)


@pytest.mark.parametrize(
    "typed",
    [
        "abcd-efgh-jkmn-pqrs",
        "abcdefghjkmnpqrs",
        "ABCD-EFGH-JKMN-PQRS",
        "abcd efgh jkmn pqrs",
        "  abcd-efgh jkmnpqrs\n",
        "ab-cd-ef-gh-jk-mn-pq-rs",
    ],
)
def test_typing_variations_normalize_to_the_canonical_form(typed: str) -> None:
    assert normalize_backup_code(typed) == "abcdefghjkmnpqrs"


def test_look_alikes_people_type_map_to_the_character_shown() -> None:
    assert normalize_backup_code("0000-1111-abcd-efgh") == "00001111abcdefgh"
    assert normalize_backup_code("oOoO-iIlL-abcd-efgh") == "00001111abcdefgh"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "abcd-efgh-jkmn",  # too short
        "abcd-efgh-jkmn-pqrs-t",  # too long
        "abcd-efgh-jkmn-pqru",  # u is not in the alphabet
        "abcd_efgh_jkmn_pqrs",  # only spaces and dashes are separators
        "abcd-efgh-jkmn-pqr!",
        "abcd-efgh-jkmn-pqrß",
        "123456",  # an authenticator code typed into the wrong box
    ],
)
def test_what_cannot_be_a_code_normalizes_to_empty(typed: str) -> None:
    assert normalize_backup_code(typed) == ""


@given(st.text(max_size=40))
def test_normalized_form_is_always_a_code_or_empty(typed: str) -> None:
    flat = normalize_backup_code(typed)
    assert flat == "" or (len(flat) == 16 and set(flat) <= set(ALPHABET))


@given(st.text(alphabet=ALPHABET, min_size=16, max_size=16))
def test_format_and_normalize_round_trip(canonical: str) -> None:
    assert normalize_backup_code(format_backup_code(canonical)) == canonical
