"""A software authenticator for tests: makes the JSON a browser's ``navigator.credentials``
would hand over, for registration ("none" attestation) and for assertions, with an ECDSA
P-256 key. Its knobs break one thing at a time (origin, RP id, user verification, counter)
so that each refusal has a named test."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes.fromhex("fbfc3007154e4ecc8c0b6e020557d7bd")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """One passkey on one authenticator, for ``rp_id`` at ``origin``."""

    rp_id: str
    origin: str
    synced: bool = False  # a synced passkey reports 0 as its counter, always
    counter: int = 0
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = b""

    def _cose(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin,
             "crossOrigin": False}
        ).encode()  # fmt: skip

    def _auth_data(self, flags: int, rp_id: str | None, attested: bytes = b"") -> bytes:
        if not self.synced:
            self.counter += 1
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        count = 0 if self.synced else self.counter
        return rp_hash + bytes([flags]) + struct.pack(">I", count) + attested

    def _flags(self, verified: bool) -> int:
        return UP | (UV if verified else 0) | ((BE | BS) if self.synced else 0)

    def create(
        self,
        options: str,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        verified: bool = True,
    ) -> str:
        """The registration credential for ``options`` (PublicKeyCredentialCreationOptions
        as JSON), as the browser would send it."""
        asked: dict[str, Any] = json.loads(options)
        self.user_handle = unb64(asked["user"]["id"])
        attested = AAGUID + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth = self._auth_data(self._flags(verified) | AT, rp_id, attested + self._cose())
        client = self._client_data("webauthn.create", asked["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        return json.dumps(
            {
                "id": b64(self.credential_id), "rawId": b64(self.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64(client), "attestationObject": b64(attestation),
                             "transports": ["internal", "hybrid"]},
            }
        )  # fmt: skip

    def get(
        self,
        options: str,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        verified: bool = True,
        user_handle: bytes | None = None,
        counter: int | None = None,
        forged: bool = False,
    ) -> str:
        """The assertion for ``options`` (PublicKeyCredentialRequestOptions as JSON)."""
        asked: dict[str, Any] = json.loads(options)
        auth = self._auth_data(self._flags(verified), rp_id)
        if counter is not None:  # a cloned key, counting on its own
            auth = auth[:33] + struct.pack(">I", counter)
        client = self._client_data("webauthn.get", asked["challenge"], origin)
        signer = ec.generate_private_key(ec.SECP256R1()) if forged else self.key
        signature = signer.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        handle = self.user_handle if user_handle is None else user_handle
        return json.dumps(
            {
                "id": b64(self.credential_id), "rawId": b64(self.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64(client), "authenticatorData": b64(auth),
                             "signature": b64(signature), "userHandle": b64(handle)},
            }
        )  # fmt: skip


def ceremony(answer: Any) -> tuple[str, str]:
    """A page's options answer (an httpx response): the ceremony's token for the form's
    ``flow`` field, and the options as the JSON text ``create``/``get`` take."""
    body = answer.json()
    assert answer.headers["cache-control"] == "no-store"
    return body["flow"], json.dumps(body["options"])
