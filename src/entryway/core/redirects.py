"""Where to send a customer after sign-in: only back to this site (SECURITY.md 27)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

DEFAULT_RETURN = "/account"


def safe_return_to(candidate: str | None, allowed_origins: frozenset[str]) -> str:
    """``candidate`` if it is a plain local path or an exactly allowed origin, else home.

    Refuses protocol-relative ``//evil``, ``/\\evil``, ``https:evil``, userinfo tricks
    (``https://site@evil``), control characters, encoded variants of all of them and
    non-http schemes such as ``javascript:``.
    """
    if not candidate or len(candidate) > 2048:
        return DEFAULT_RETURN
    decoded = candidate
    for _ in range(3):  # look through double and triple encoding
        decoded = unquote(decoded)
    if any(ord(ch) < 0x20 or ch == "\x7f" or ch == "\\" for ch in decoded):
        return DEFAULT_RETURN
    if candidate.startswith("/") and not decoded.startswith("//"):
        parts = urlsplit(candidate)
        if not parts.scheme and not parts.netloc:
            return candidate
        return DEFAULT_RETURN
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return DEFAULT_RETURN
    if f"{parts.scheme}://{parts.netloc.lower()}" in allowed_origins:
        return candidate
    return DEFAULT_RETURN
