"""Authenticator-app codes: RFC 4226 HOTP and RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s).

Everything here is a pure function of its arguments; the caller supplies the time and the
randomness, and stores which step was last accepted so a code cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from entryway.core.secrets import Random

DIGITS = 6
PERIOD = 30  # seconds per step, RFC 6238's default and the only one authenticator apps assume
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 §4 (R6) recommends

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # RFC 6238 T0
_MAX_COUNTER = 2**64 - 1  # the counter is hashed as 8 big-endian bytes
_ASCII_DIGITS = frozenset("0123456789")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _check_digits(digits: int) -> None:
    # RFC 4226 asks for at least 6; beyond 8 the 31-bit truncated value skews the last digit,
    # and 8 is the most any authenticator app (or RFC 6238's own vectors) uses.
    if not 6 <= digits <= 8:
        raise ValueError(f"digits must be 6, 7 or 8, got {digits}")


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """The HOTP value of ``key`` at ``counter`` (RFC 4226 §5), with leading zeros kept."""
    if not key:
        raise ValueError("the HOTP key is empty")
    if not 0 <= counter <= _MAX_COUNTER:
        raise ValueError(f"counter must fit in 8 unsigned bytes, got {counter}")
    _check_digits(digits)
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    # Dynamic truncation (§5.3): the low nibble of the last byte picks where to read 4 bytes;
    # the top bit is masked so the number reads the same whether signed or unsigned.
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFF_FFFF
    return str(number % 10**digits).zfill(digits)


def step_at(at: datetime, period: int = PERIOD) -> int:
    """The RFC 6238 time step containing the aware datetime ``at``."""
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive time would silently be read as server-local time and shift every code.
        raise ValueError(f"step_at needs an aware datetime, got naive {at.isoformat()}")
    if period <= 0:
        raise ValueError(f"period must be a positive number of seconds, got {period}")
    if at < _EPOCH:
        raise ValueError(f"TOTP steps start at 1970-01-01 UTC, got {at.isoformat()}")
    # Dividing timedeltas stays in integer microseconds, so no float rounding at step edges.
    return (at - _EPOCH) // timedelta(seconds=period)


def totp(key: bytes, step: int, digits: int = DIGITS) -> str:
    """The TOTP code for time step ``step`` (RFC 6238 §4: HOTP with the step as counter)."""
    return hotp(key, step, digits)


def matching_step(key: bytes, code: str, at: datetime, window: int = 1) -> int | None:
    """The step within ``window`` steps of ``at`` whose code is ``code``, or None."""
    if window < 0:
        raise ValueError(f"window must be zero or more steps, got {window}")
    typed = "".join(code.split())  # apps show "123 456", and people copy it that way
    if len(typed) != DIGITS or not set(typed) <= _ASCII_DIGITS:
        return None
    current = step_at(at)
    found: int | None = None
    # Every candidate is computed and compared, with no early exit, so the response time
    # does not tell a guesser whether (or where in the window) a code matched.
    for step in range(max(current - window, 0), current + window + 1):
        if hmac.compare_digest(totp(key, step).encode(), typed.encode()):
            # Keep the latest match: a "step must exceed the last one used" replay check
            # then errs on the side of refusing.
            found = step
    return found


def new_secret(rng: Random) -> bytes:
    """A fresh 160-bit TOTP secret."""
    return rng.token_bytes(SECRET_BYTES)


def base32_key(secret: bytes) -> str:
    """The secret in RFC 4648 base32 without padding, as authenticator apps take it."""
    if not secret:
        raise ValueError("the TOTP secret is empty")
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def grouped_key(key: str) -> str:
    """A base32 key split into space-separated groups of four, for typing by hand."""
    flat = "".join(key.split())
    return " ".join(flat[i : i + 4] for i in range(0, len(flat), 4))


def parse_key(text: str) -> bytes:
    """The secret behind a typed base32 key; spaces, lower case and padding are tolerated."""
    # The message names the offending character or length, never the key: it is a secret.
    flat = "".join(text.split()).upper().rstrip("=")
    if not flat:
        raise ValueError("the key is empty")
    bad = next((ch for ch in flat if ch not in _BASE32), None)
    if bad is not None:
        raise ValueError(f"a base32 key uses only A–Z and 2–7, got {bad!r}")
    if len(flat) % 8 in (1, 3, 6):
        # No whole number of bytes encodes to these lengths: a character is missing or extra.
        raise ValueError(f"no base32 key is {len(flat)} characters long")
    return base64.b32decode(flat + "=" * (-len(flat) % 8))


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    for name, value in (("account", account), ("issuer", issuer)):
        if not value:
            raise ValueError(f"{name} must not be empty")
        if ":" in value:
            # The label is "issuer:account"; apps split it at the colon, even percent-encoded.
            raise ValueError(f"{name} must not contain ':', got {value!r}")
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    return (
        f"otpauth://totp/{label}?secret={base32_key(secret)}&issuer={quote(issuer, safe='')}"
        f"&algorithm=SHA1&digits={DIGITS}&period={PERIOD}"
    )
