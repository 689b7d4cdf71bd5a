"""Judging a passkey assertion, after its ceremony's challenge is taken: whether the key
signed it for this very challenge (before anything is counted toward an account), the
rest of what WebAuthn checks, and the sign counter, kept by conditional write and judged
again when two uses race; a counter that went back turns the passkey off."""

from __future__ import annotations

import binascii
import hashlib
import json
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from webauthn import verify_authentication_response
from webauthn.helpers import (
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    verify_signature,
)
from webauthn.helpers.exceptions import WebAuthnException

from entryway.core.events import AuditAction, MessageKind
from entryway.core.passkeys import Count, Party, sign_count
from entryway.core.sites import Site
from entryway.errors import InvalidInput
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.passkeys.ceremonies import NOT_CHECKED, store, unb64, user_handle
from entryway.flows.passkeys.records import Challenge, Passkey
from entryway.flows.ports import Deps, Requester, UnitOfWork


class Unsigned(InvalidInput):
    """An assertion the passkey's key did not sign for this very challenge: anyone who
    learnt a credential id can send one, or replay an old one the key did sign, so it must
    not count toward the owner's lock (only the address's)."""


def _signed_here(passkey: Passkey, challenge: Challenge, found: dict[str, Any]) -> bool:
    """Whether the passkey's public key signed this assertion, and the assertion answers
    this challenge (a ``webauthn.get`` with its bytes): before anything else is judged."""
    try:
        response = found["response"]
        auth = unb64(response["authenticatorData"])
        client = unb64(response["clientDataJSON"])
        signature = unb64(response["signature"])
        said = json.loads(client)
        if (
            not isinstance(said, dict)
            or said.get("type") != "webauthn.get"
            or not isinstance(said.get("challenge"), str)
            or unb64(said["challenge"]) != unb64(challenge.challenge)
        ):
            return False
        decoded = decode_credential_public_key(unb64(passkey.public_key))
        verify_signature(
            public_key=decoded_public_key_to_cryptography(decoded),
            signature_alg=decoded.alg,
            signature=signature,
            data=auth + hashlib.sha256(client).digest(),
        )
    except (
        InvalidSignature, WebAuthnException, ValueError, KeyError, TypeError, binascii.Error,
        RecursionError,
    ):  # fmt: skip
        return False
    return True


def verify_assertion(
    deps: Deps,
    party: Party,
    challenge: Challenge,
    passkey: Passkey,
    found: dict[str, Any],
    *,
    handle_required: bool = True,
) -> tuple[int, bool]:
    """Check a user-verified assertion of ``passkey`` against ``challenge``, and that it
    speaks for the passkey's account (its user handle): the new sign count, and whether the
    counter went back (a copy of the key). InvalidInput when it fails; Unsigned when the
    key did not sign it for this challenge. Pure: nothing is read or written.

    The user handle may be left out when the options listed the account's passkeys (the
    second step: WebAuthn §7.2 checks it only when present); a usernameless sign-in needs
    it."""
    if not _signed_here(passkey, challenge, found):
        raise Unsigned(NOT_CHECKED, field="credential")
    try:
        verified = verify_authentication_response(
            credential=found,
            expected_challenge=unb64(challenge.challenge),
            expected_rp_id=party.id,
            expected_origin=list(party.origins),
            credential_public_key=unb64(passkey.public_key),
            credential_current_sign_count=0,  # the counter is judged below
            require_user_verification=True,
        )
        response = found["response"]
        handle = unb64(response["userHandle"]) if response.get("userHandle") else b""
    except (
        WebAuthnException, ValueError, KeyError, TypeError, AttributeError, binascii.Error,
        RecursionError,
    ):  # fmt: skip
        raise InvalidInput(NOT_CHECKED, field="credential") from None
    if (handle or handle_required) and handle != user_handle(deps, party.code, passkey.account_id):
        raise InvalidInput(NOT_CHECKED, field="credential")
    cloned = sign_count(passkey.sign_count, verified.new_sign_count) is Count.CLONED
    return verified.new_sign_count, cloned


class Copied(Exception):
    """Two assertions of one passkey with counts that cannot both be genuine: a copy of
    the key is in use (raised out of the transaction that found it, to be turned off)."""

    def __init__(self, passkey: Passkey, presented: int) -> None:
        super().__init__(passkey.credential_id)
        self.passkey = passkey
        self.presented = presented


async def record_use(uow: UnitOfWork, passkey: Passkey, count: int, now: datetime) -> None:
    """Keep the new sign count and the time of use, in ``uow``. Another assertion of the
    same passkey may have been counted since it was read: its stored count is judged again
    (Copied when the two cannot both be genuine); InvalidInput when it is gone, or raced
    once more."""
    site, credential = passkey.site, passkey.credential_id
    keys = store(uow, site)
    if await keys.used(site, credential, passkey.sign_count, count, now):
        return
    again = await keys.get(site, credential)
    if again is None:
        raise InvalidInput(NOT_CHECKED, field="credential")
    if sign_count(again.sign_count, count) is Count.CLONED:
        raise Copied(again, count)
    if not await keys.used(site, credential, again.sign_count, count, now):
        raise InvalidInput(NOT_CHECKED, field="credential")


async def turn_off_copied(
    deps: Deps, site: Site, passkey: Passkey, presented: int, who: Requester
) -> None:
    """A counter that went back means two copies of the key: the one that is ahead may be
    anyone's, so the passkey signs nobody in any more. It is removed, audited, and every
    contact is told (the owner adds a new one)."""
    async with deps.uow() as uow:
        account = await uow.accounts.get(site.code, passkey.account_id)
        removed = await uow.passkeys.remove(site.code, passkey.account_id, passkey.credential_id)
        await audit(
            deps, uow, site.code, passkey.account_id, AuditAction.PASSKEY_CLONE_SUSPECTED,
            who, passkey=passkey.name, stored=passkey.sign_count, presented=presented,
        )  # fmt: skip
        if removed and account is not None:
            await notify_all_of(
                deps, uow, site, account, MessageKind.PASSKEY_CHANGED, "passkey_changed",
                who=who, change="copied", passkey=passkey.name,
            )  # fmt: skip
        await uow.commit()
    deps.on_message()
