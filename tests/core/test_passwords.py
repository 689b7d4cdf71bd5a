"""Password policy figures from SECURITY.md (NIST 800-63B-4 §3.1.1.2, ASVS V6.2)."""

from __future__ import annotations

import pytest

from entryway.core.passwords import (
    MAX_PASSWORD_BYTES,
    PasswordPolicy,
    context_words,
    normalize_password,
    within_input_cap,
)

POLICY = PasswordPolicy(common=frozenset({"password1", "iloveyou"}))
CTX = context_words(
    site_name="United States", brand="Acme Market", name="Ana Lopez", email="ana.lopez@example.com"
)


def test_minimum_length_is_8_and_configurable_up() -> None:
    assert POLICY.problems("a1b2c3d", CTX)
    assert POLICY.problems("a1b2c3d4", CTX) == []
    strict = PasswordPolicy(min_length=12)
    assert strict.problems("a1b2c3d4e5f", []) and strict.problems("a1b2c3d4e5f6", []) == []
    with pytest.raises(ValueError, match="7"):
        PasswordPolicy(min_length=7)


def test_long_passwords_accepted_and_never_truncated() -> None:
    long = "correct horse battery staple " * 20  # 580 characters
    assert POLICY.problems(long, CTX) == []
    assert normalize_password(long) == long


def test_input_capped_at_4_kib() -> None:
    assert within_input_cap("x" * MAX_PASSWORD_BYTES)
    assert not within_input_cap("x" * (MAX_PASSWORD_BYTES + 1))
    assert not within_input_cap("é" * 2049)  # 4098 bytes in UTF-8
    assert POLICY.problems("x" * 5000, CTX) == [f"Use at most {MAX_PASSWORD_BYTES} bytes."]


def test_common_passwords_refused_whole_and_case_insensitively() -> None:
    assert "too common" in POLICY.problems("Password1", CTX)[0]
    assert POLICY.problems("password1 but longer and mine", CTX) == []


@pytest.mark.parametrize("pw", ["acmemarket99", "ana.lopez!!", "LopezLopez2", "united-states-1"])
def test_context_words_refused(pw: str) -> None:
    assert POLICY.problems(pw, CTX), pw


def test_nfc_applied_before_checking_and_hashing() -> None:
    decomposed = "cafe\u0301-lantern-9"
    composed = "caf\u00e9-lantern-9"
    assert normalize_password(decomposed) == composed


def test_strength_estimator_consulted() -> None:
    weak = PasswordPolicy(strength=lambda pw, ctx: 0)
    assert "easy to guess" in weak.problems("zq8!plm3vv", [])[0]
