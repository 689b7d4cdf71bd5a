"""TOTP: the RFC test vectors, the acceptance window, key transport, and oathtool agreeing."""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from entryway.core.secrets import Random
from entryway.core.totp import (
    base32_key,
    grouped_key,
    hotp,
    matching_step,
    new_secret,
    parse_key,
    provisioning_uri,
    step_at,
    totp,
)

RNG = Random(token_bytes=secrets.token_bytes, randbelow=secrets.randbelow)
RFC_KEY = b"12345678901234567890"  # the shared secret of RFC 4226 App. D and RFC 6238 App. B

# RFC 4226 Appendix D: HOTP values for counters 0-9.
RFC4226_HOTP = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]

# RFC 6238 Appendix B, SHA1 column: Unix time -> 8-digit TOTP.
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


@pytest.mark.parametrize("counter", range(10))
def test_hotp_matches_rfc_4226_appendix_d(counter: int) -> None:
    assert hotp(RFC_KEY, counter) == RFC4226_HOTP[counter]


@pytest.mark.parametrize(("unix", "code"), RFC6238_SHA1)
def test_totp_matches_rfc_6238_appendix_b(unix: int, code: str) -> None:
    assert totp(RFC_KEY, step_at(at(unix)), digits=8) == code
    assert totp(RFC_KEY, step_at(at(unix))) == code[-6:]  # fewer digits: the low ones


def test_steps_are_30_seconds_from_the_epoch_in_any_time_zone() -> None:
    assert step_at(at(0)) == 0
    assert step_at(at(29)) == 0
    assert step_at(at(30)) == 1
    assert step_at(at(59) - timedelta(microseconds=1)) == 1
    assert step_at(at(1111111109)) == 0x23523EC  # RFC 6238 App. B lists T in hex
    tokyo = timezone(timedelta(hours=9))
    assert step_at(at(1234567890).astimezone(tokyo)) == step_at(at(1234567890))
    assert step_at(at(90), period=60) == 1


def test_bad_arguments_are_refused_early() -> None:
    with pytest.raises(ValueError, match="naive"):
        step_at(datetime(2024, 1, 1, 12, 0))  # naive on purpose
    with pytest.raises(ValueError, match="got 0"):
        step_at(at(0), period=0)
    with pytest.raises(ValueError, match="1970"):
        step_at(at(-1))
    with pytest.raises(ValueError, match="got -1"):
        hotp(RFC_KEY, -1)
    with pytest.raises(ValueError, match=str(2**64)):
        hotp(RFC_KEY, 2**64)
    with pytest.raises(ValueError, match="got 5"):
        hotp(RFC_KEY, 0, digits=5)
    with pytest.raises(ValueError, match="empty"):
        hotp(b"", 0)
    with pytest.raises(ValueError, match="got -1"):
        matching_step(RFC_KEY, "123456", at(1234567890), window=-1)


def test_codes_one_step_either_side_are_accepted() -> None:
    now = at(1234567890)
    step = step_at(now)
    for offset in (-1, 0, 1):
        assert matching_step(RFC_KEY, totp(RFC_KEY, step + offset), now) == step + offset


def test_codes_two_steps_away_are_refused() -> None:
    now = at(1234567890)
    step = step_at(now)
    for offset in (-2, 2):
        code = totp(RFC_KEY, step + offset)
        # Guard against a 1-in-a-million clash with a code inside the window.
        assert code not in {totp(RFC_KEY, step + d) for d in (-1, 0, 1)}
        assert matching_step(RFC_KEY, code, now) is None
        assert matching_step(RFC_KEY, code, now, window=2) == step + offset


def test_window_zero_accepts_only_the_current_step() -> None:
    now = at(1234567890)
    step = step_at(now)
    assert matching_step(RFC_KEY, totp(RFC_KEY, step), now, window=0) == step
    assert matching_step(RFC_KEY, totp(RFC_KEY, step - 1), now, window=0) is None


def test_the_window_does_not_reach_before_step_zero() -> None:
    assert matching_step(RFC_KEY, totp(RFC_KEY, 0), at(5)) == 0


def test_codes_typed_with_spaces_still_match() -> None:
    now = at(1234567890)
    code = totp(RFC_KEY, step_at(now))
    for typed in (f"{code[:3]} {code[3:]}", f" {code} ", " ".join(code), f"{code[:3]}\t{code[3:]}"):
        assert matching_step(RFC_KEY, typed, now) == step_at(now)


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "1234567", "12345a", "12-345", "١٢٣٤٥٦", "89005924"],
)
def test_malformed_codes_match_nothing(typed: str) -> None:
    # The last one is the RFC's right 8-digit code: a 6-digit check takes only 6.
    assert matching_step(RFC_KEY, typed, at(1234567890)) is None


def test_new_secrets_are_160_bits_from_the_given_source() -> None:
    fixed = Random(token_bytes=lambda n: bytes(range(n)), randbelow=secrets.randbelow)
    assert new_secret(fixed) == bytes(range(20))
    assert len(new_secret(RNG)) == 20
    assert new_secret(RNG) != new_secret(RNG)


def test_keys_round_trip_through_base32_grouping_and_parsing() -> None:
    assert base32_key(RFC_KEY) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 4648 base32
    assert grouped_key("GEZDGNBVGY3TQOJQ") == "GEZD GNBV GY3T QOJQ"
    for n in (10, 16, 20, 21, 32):  # every remainder of the 5-byte base32 block
        secret = RNG.token_bytes(n)
        key = base32_key(secret)
        assert "=" not in key
        assert parse_key(key) == secret
        assert parse_key(grouped_key(key)) == secret
        assert parse_key(grouped_key(key).lower()) == secret
        assert parse_key(f"  {grouped_key(key)}\n") == secret
    assert parse_key("GEZDGNBVGY======") == b"123456"  # padding copied along is fine


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("GEZD GNB1", "'1'"),
        ("GEZDÉ", "'É'"),
        ("GEZ", "3 characters"),
    ],
)
def test_bad_keys_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_key(text)


def test_provisioning_uri_has_the_shape_authenticator_apps_read() -> None:
    uri = provisioning_uri(RFC_KEY, account="alice@example.com", issuer="Example Shop")
    assert uri == (
        "otpauth://totp/Example%20Shop:alice@example.com"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Shop"
        "&algorithm=SHA1&digits=6&period=30"
    )
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Example Shop:alice@example.com"
    query = parse_qs(parts.query)
    assert query["issuer"] == ["Example Shop"]
    assert parse_key(query["secret"][0]) == RFC_KEY


def test_provisioning_uri_encodes_awkward_names() -> None:
    uri = provisioning_uri(RFC_KEY, account="bob+shop/1?x=y&z", issuer="Ä & Co #1")
    parts = urlsplit(uri)
    assert unquote(parts.path) == "/Ä & Co #1:bob+shop/1?x=y&z"
    assert parse_qs(parts.query)["issuer"] == ["Ä & Co #1"]
    assert " " not in uri and "#" not in uri and "&z" not in uri


@pytest.mark.parametrize(
    ("account", "issuer", "message"),
    [("", "Shop", "account"), ("a", "", "issuer"), ("a:b", "Shop", "'a:b'"), ("a", "S:x", "S:x")],
)
def test_provisioning_uri_refuses_empty_names_and_colons(
    account: str, issuer: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        provisioning_uri(RFC_KEY, account=account, issuer=issuer)


# --- Interoperability with an independent implementation (Debian's oathtool) -----------------


@pytest.fixture(scope="module")
def oathtool() -> str:
    path = shutil.which("oathtool")
    if path is None:
        reason = "oathtool is not installed (apt-get install -y oathtool, or scripts/setup)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the interoperability tests")
        pytest.skip(reason)
    return path


def run_oathtool(oathtool: str, key: str, *args: str) -> str:
    # The key goes in on stdin ("-"), the way oathtool suggests for secrets.
    done = subprocess.run(
        [oathtool, "--base32", *args, "-"],
        input=key,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
        env={**os.environ, "TZ": "UTC"},
    )
    return done.stdout.strip()


def interop_cases(seed: int) -> list[tuple[bytes, int]]:
    # Seeded so a disagreement can be reproduced; key lengths cover odd base32 tails.
    rnd = random.Random(seed)
    return [
        (rnd.randbytes(rnd.choice([10, 16, 20, 32])), rnd.randrange(0, 4_000_000_000))
        for _ in range(8)
    ]


@pytest.mark.parametrize(("secret", "unix"), interop_cases(6238))
def test_totp_agrees_with_oathtool(oathtool: str, secret: bytes, unix: int) -> None:
    now = at(unix).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = base32_key(secret)
    assert run_oathtool(oathtool, key, "--totp", "--now", now) == totp(secret, step_at(at(unix)))
    assert run_oathtool(oathtool, key, "--totp", "--now", now, "--digits", "8") == totp(
        secret, step_at(at(unix)), digits=8
    )


@pytest.mark.parametrize(("secret", "counter"), interop_cases(4226))
def test_hotp_agrees_with_oathtool(oathtool: str, secret: bytes, counter: int) -> None:
    key = grouped_key(base32_key(secret)).replace(" ", "")
    assert run_oathtool(oathtool, key, "--hotp", "--counter", str(counter)) == hotp(secret, counter)


def test_oathtool_agrees_on_the_rfc_vectors(oathtool: str) -> None:
    key = base32_key(RFC_KEY)
    for unix, code in RFC6238_SHA1:
        now = at(unix).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert run_oathtool(oathtool, key, "--totp", "--now", now, "--digits", "8") == code
