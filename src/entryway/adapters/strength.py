"""Password strength: zxcvbn's estimate, and its ranked list of common passwords.

The common list is zxcvbn's "passwords" frequency list (its authors compiled it from leaked
password sets), so no separate file ships with us; we take the most frequent entries.
"""

from __future__ import annotations

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

ZXCVBN_MAX_INPUT = 100  # zxcvbn's cost grows with length; longer inputs are strong anyway


def common_passwords(limit: int = 30000) -> frozenset[str]:
    """The ``limit`` most common passwords, case-folded."""
    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"][:limit])


def estimate(password: str, context: list[str]) -> int:
    """zxcvbn score 0..4 (0 = guessable in under 10^3 tries, 4 = over 10^10)."""
    if len(password) >= ZXCVBN_MAX_INPUT:
        return 4
    return int(zxcvbn(password, user_inputs=context)["score"])
