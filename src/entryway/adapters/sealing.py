"""Encryption for the few secrets we must read back: AES-256-GCM under a derived key."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class AesGcmSealer:
    """Seals TOTP keys so a copy of the database alone cannot generate codes."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError(f"the sealing key must be 32 bytes, got {len(key)}")
        self._aead = AESGCM(key)

    def seal(self, secret: bytes) -> str:
        nonce = os.urandom(12)
        box = nonce + self._aead.encrypt(nonce, secret, PREFIX.encode())
        return PREFIX + base64.urlsafe_b64encode(box).decode()

    def unseal(self, sealed: str) -> bytes:
        if not sealed.startswith(PREFIX):
            raise ValueError("not a sealed value of a known version")
        box = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
        return self._aead.decrypt(box[:12], box[12:], PREFIX.encode())
