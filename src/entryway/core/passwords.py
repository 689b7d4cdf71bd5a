"""Password policy: what a new password must satisfy, and why it was refused.

Figures from NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS V6.2: at least 8 characters
(configurable up), at least 64 accepted, never truncated, input capped at 4 KiB, compared
whole against common passwords and context words, Unicode NFC first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass

from entryway.core.locales import N_
from entryway.errors import Said

MAX_PASSWORD_BYTES = 4096


def normalize_password(password: str) -> str:
    """NFC, so that the same password typed on two keyboards hashes the same (§3.1.1.2)."""
    return unicodedata.normalize("NFC", password)


def within_input_cap(password: str) -> bool:
    """Whether the input fits the 4 KiB cap that keeps hashing cost bounded."""
    return len(password.encode("utf-8", "surrogatepass")) <= MAX_PASSWORD_BYTES


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """Checks a candidate password; returns the reasons a person should read."""

    min_length: int = 8
    common: Collection[str] = frozenset()
    # An optional estimator returning a 0..4 score (zxcvbn's scale); None skips it.
    strength: Callable[[str, list[str]], int] | None = None
    min_strength: int = 1

    def __post_init__(self) -> None:
        if not 8 <= self.min_length <= 64:
            raise ValueError(f"min_length must be between 8 and 64, got {self.min_length}")

    def problems(self, password: str, context: list[str]) -> list[str]:
        """Every reason to refuse ``password``; empty means accepted."""
        if not within_input_cap(password):
            return [Said(N_("Use at most {limit} bytes."), limit=MAX_PASSWORD_BYTES)]
        pw = normalize_password(password)
        reasons: list[str] = []
        if len(pw) < self.min_length:
            reasons.append(Said(N_("Use at least {n} characters."), n=self.min_length))
            return reasons
        folded = pw.casefold()
        if folded in self.common:
            reasons.append(N_("That password is too common. Choose one that is harder to guess."))
        elif any(len(word) >= 3 and word in _squash(pw) for word in map(_squash, context)):
            reasons.append(N_("Don't use your name, email or the store's name in your password."))
        elif len(set(folded)) < 3:
            reasons.append(N_("Use more than a couple of different characters."))
        elif self.strength is not None and self.strength(pw, context) < self.min_strength:
            reasons.append(N_("That password is easy to guess. Try a longer phrase or more words."))
        return reasons


def _squash(text: str) -> str:
    """Case-folded letters and digits only, so "united-states" still contains "United States"."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text).casefold() if ch.isalnum())


def context_words(*, site_name: str, brand: str, name: str, email: str | None) -> list[str]:
    """Words a password must not contain: the brand, the site, the person, their address."""
    words = [brand, site_name, *brand.split(), *name.split()]
    if email:
        words.append(email.split("@", 1)[0])
    return [w for w in words if len(w) >= 3]
