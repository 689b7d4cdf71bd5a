"""Secrets we hand out (codes, tokens, session ids) and how we keep them at rest.

Randomness comes in as a ``Random`` so tests can fix it; production passes the
``secrets`` module's functions (bootstrap wires them).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from dataclasses import dataclass

OTP_DIGITS = 6
TOKEN_BYTES = 32  # 256 bits: comfortably above the 128 bits SECURITY.md asks for


@dataclass(frozen=True, slots=True)
class Random:
    """The two sources of randomness the rules need."""

    token_bytes: Callable[[int], bytes]
    randbelow: Callable[[int], int]


def new_otp(rng: Random) -> str:
    """A 6-digit one-time code, uniformly drawn (leading zeros kept)."""
    return f"{rng.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def new_token(rng: Random, nbytes: int = TOKEN_BYTES) -> str:
    """An opaque URL-safe token of ``nbytes`` random bytes (no padding)."""
    if nbytes < 16:
        raise ValueError(f"tokens need at least 16 bytes (128 bits), got {nbytes}")
    return base64.urlsafe_b64encode(rng.token_bytes(nbytes)).rstrip(b"=").decode("ascii")


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under ``key``, separated by ``purpose``.

    Codes, tokens and session ids are stored only as this hash, so a copy of the database
    neither signs anyone in nor completes a flow; the purpose label keeps a hash made for one
    use from matching in another.
    """
    message = purpose.encode() + b"\x00" + value.encode("utf-8", "surrogatepass")
    return hmac.digest(key, message, "sha256").hex()  # the one-shot form: no HMAC object


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison, so response time does not leak how much of a guess matched."""
    return hmac.compare_digest(a.encode(), b.encode())


def normalize_code(typed: str) -> str:
    """Strip the spaces and dashes people type inside codes; keep only ASCII digits."""
    return "".join(ch for ch in typed if ch not in " -\t")
