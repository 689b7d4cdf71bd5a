"""DKIM signatures on outgoing email (RFC 6376), so a receiving server can check that a
message claiming to come from the store's domain was sent by us, unchanged.

The key is an RSA key of 2048 bits in a PEM file (``entryway dkim keygen`` makes one and
prints the DNS TXT record to publish at ``<selector>._domainkey.<domain>``). Headers are
signed relaxed, the body simple: a relay may refold headers but not touch the body.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048
MIN_KEY_BITS = 1024  # RFC 8301: verifiers refuse anything shorter
# What a reader sees and what would change the message's meaning; Date and Message-ID too,
# so a signed message cannot be replayed under another date. Each is listed twice
# (oversigned, RFC 6376 §8.15): one more than the message has, so a copy with a second
# Subject, or a Reply-To or Cc added on the way, no longer verifies.
SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"content-transfer-encoding", b"auto-submitted", b"reply-to", b"cc",
)  # fmt: skip


class DkimKeyError(ValueError):
    pass


@dataclass(frozen=True)
class DkimSigner:
    selector: str
    domain: str
    private_key_pem: bytes

    @classmethod
    def from_file(cls, selector: str, domain: str, path: Path) -> DkimSigner:
        """The signer for a PEM key file; DkimKeyError with the reason when it cannot sign."""
        try:
            pem = path.read_bytes()
            mode = path.stat().st_mode
        except OSError as exc:
            raise DkimKeyError(f"cannot read {path}: {exc.strerror}") from None
        if mode & 0o077:
            raise DkimKeyError(f"{path} may be read by others: chmod 600 it")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise DkimKeyError(f"{path} is not an unencrypted PEM private key ({exc})") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DkimKeyError(f"{path} must hold an RSA key")
        if key.key_size < MIN_KEY_BITS:
            raise DkimKeyError(f"{path} holds a {key.key_size}-bit key; use 2048 bits")
        # dkimpy reads PKCS#1 ("BEGIN RSA PRIVATE KEY") and PKCS#8 alike.
        return cls(selector=selector, domain=domain.lower().rstrip("."), private_key_pem=pem)

    def signature_header(self, message: bytes) -> bytes:
        """The ``DKIM-Signature:`` header line (with its CRLF) to put before ``message``."""
        signed: bytes = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key_pem,
            canonicalize=(b"relaxed", b"simple"),
            include_headers=[name for name in SIGNED_HEADERS for _ in range(2)],
        )
        return signed

    def sign(self, message: bytes) -> bytes:
        """``message`` (CRLF line ends) with its signature header first."""
        return self.signature_header(message) + message


def new_key() -> bytes:
    """A new RSA private key, PEM (PKCS#8), for DKIM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def zone_strings(value: str) -> str:
    """A TXT value as a zone file writes it: quoted strings of at most 255 characters each
    (DNS caps one string there), which a resolver joins back into the one value."""
    return " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))


def txt_record(private_key_pem: bytes) -> str:
    """The DNS TXT value that publishes the key's public half (``v=DKIM1; k=rsa; p=...``)."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"
