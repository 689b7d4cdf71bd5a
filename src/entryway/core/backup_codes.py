"""Single-use backup codes for when the authenticator app is lost.

A code is 16 characters from a 32-character alphabet (5 bits each, 80 bits in all, above
the 64 bits SECURITY.md asks for), shown as four dashed groups: "abcd-efgh-jkmn-pqrs".
Codes are compared, and stored, in their canonical form: the 16 characters, no dashes.
"""

from __future__ import annotations

from entryway.core.secrets import Random

# Digits and lower-case letters, with each look-alike family cut down to one member: 0 stands
# for o, and 1 for i and l (people typing those get mapped, see _TYPED_AS). Dropping all five
# would leave only 31 characters; u goes too (it reads as v in many hands) to make 32.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_LENGTH = 16
GROUP = 4
DEFAULT_COUNT = 10

_IN_ALPHABET = frozenset(ALPHABET)
_TYPED_AS = str.maketrans({"o": "0", "i": "1", "l": "1", " ": None, "-": None})


def new_backup_codes(rng: Random, count: int = DEFAULT_COUNT) -> list[str]:
    """``count`` distinct codes in their dashed, shown-to-the-person form."""
    if not 1 <= count <= 100:
        raise ValueError(f"count must be between 1 and 100, got {count}")
    codes: dict[str, None] = {}  # a dict keeps the order they were drawn in
    # At 80 bits a repeat never happens with real randomness; a few redraws are allowed,
    # then a source that keeps repeating itself is treated as broken rather than looped on.
    for _ in range(count + 10):
        canonical = "".join(ALPHABET[rng.randbelow(len(ALPHABET))] for _ in range(CODE_LENGTH))
        codes[canonical] = None
        if len(codes) == count:
            return [format_backup_code(code) for code in codes]
    raise RuntimeError("the randomness source keeps repeating backup codes")


def normalize_backup_code(typed: str) -> str:
    """The canonical 16-character form of a typed code, or "" when it cannot be one."""
    flat = "".join(typed.split()).lower().translate(_TYPED_AS)
    if len(flat) != CODE_LENGTH or not set(flat) <= _IN_ALPHABET:
        return ""
    return flat


def format_backup_code(canonical: str) -> str:
    """The dashed form ("abcd-efgh-jkmn-pqrs") of a canonical code."""
    # The message names the length or character, never the code: it may be a live secret.
    if len(canonical) != CODE_LENGTH:
        raise ValueError(f"a canonical code has {CODE_LENGTH} characters, got {len(canonical)}")
    bad = next((ch for ch in canonical if ch not in _IN_ALPHABET), None)
    if bad is not None:
        raise ValueError(f"a canonical code uses only {ALPHABET!r}, got {bad!r}")
    return "-".join(canonical[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))
