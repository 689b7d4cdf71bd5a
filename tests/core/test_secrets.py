"""Codes and tokens: sizes from SECURITY.md, hashed at rest, compared in constant time."""

from __future__ import annotations

import secrets

from hypothesis import given
from hypothesis import strategies as st

from entryway.core.secrets import (
    Random,
    keyed_hash,
    new_otp,
    new_token,
    normalize_code,
    same_secret,
)

RNG = Random(token_bytes=secrets.token_bytes, randbelow=secrets.randbelow)


def test_otp_is_six_digits_with_leading_zeros() -> None:
    fixed = Random(token_bytes=secrets.token_bytes, randbelow=lambda n: 42)
    assert new_otp(fixed) == "000042"
    assert all(len(c) == 6 and c.isdigit() for c in (new_otp(RNG) for _ in range(200)))


def test_tokens_carry_at_least_128_bits() -> None:
    token = new_token(RNG)
    assert len(token) >= 43  # 32 bytes in unpadded base64url
    assert len(new_token(RNG, 16)) == 22


def test_keyed_hash_separates_purposes_and_keys() -> None:
    key = b"k" * 32
    assert keyed_hash(key, "session", "abc") != keyed_hash(key, "flow", "abc")
    assert keyed_hash(key, "session", "abc") != keyed_hash(b"j" * 32, "session", "abc")
    assert "abc" not in keyed_hash(key, "session", "abc")


@given(st.text(), st.text())
def test_same_secret_matches_equality(a: str, b: str) -> None:
    assert same_secret(a, b) == (a == b)


def test_codes_typed_with_spaces_or_dashes_still_match() -> None:
    assert normalize_code(" 123 456 ") == "123456"
    assert normalize_code("123-456") == "123456"
