"""The two WebAuthn ceremonies, checked by py_webauthn: adding a passkey to the signed-in
account, and proving one (to sign in, or as a second step).

Each ceremony begins with a random challenge stored by the keyed hash of a token the
browser (or the JSON API's client) holds; finishing takes it, once, for its own site and
ceremony, within five minutes. User verification is required both times: a passkey stands
for the password and the second step together. The sign counter is checked here rather
than by the library, so that a counter going backwards can be told from any other failure
(a copied key: audited, and the passkey refused)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    verify_signature,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from entryway.core.devices import describe_user_agent
from entryway.core.events import AuditAction, MessageKind
from entryway.core.locales import N_
from entryway.core.passkeys import CHALLENGE_LIFETIME, Count, clean_name, origins, rp_id, sign_count
from entryway.core.secrets import keyed_hash, new_token
from entryway.core.sites import Site
from entryway.errors import Conflict, InvalidInput
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.passkeys.records import Ceremony, Challenge, Passkey
from entryway.flows.ports import Deps, Requester, UnitOfWork

TIMEOUT_MS = int(CHALLENGE_LIFETIME.total_seconds() * 1000)
EXPIRED = N_("That passkey request has expired. Please try again.")
NOT_CHECKED = N_("We couldn't check that passkey. Please try again.")
ALREADY = N_("That passkey is already on your account.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def challenge_hash(deps: Deps, token: str) -> str:
    return keyed_hash(deps.keys.hashing, "passkey-challenge", token)


def user_handle(deps: Deps, site: str, account_id: str) -> bytes:
    """The account's WebAuthn user id on its site: 32 bytes derived by keyed hash, so it
    names neither the row nor the email, and is the same for every passkey of the account."""
    return bytes.fromhex(keyed_hash(deps.keys.subject, "passkey-user", f"{site}\0{account_id}"))


@dataclass(frozen=True, slots=True)
class Begun:
    """A ceremony's options for ``navigator.credentials`` (JSON) and the token that finishes
    it (a cookie, or the JSON API's ``flow_id``)."""

    token: str
    options: str


async def _challenge(
    deps: Deps, uow: UnitOfWork, site: Site, ceremony: Ceremony, account_id: str | None
) -> tuple[str, bytes]:
    now = deps.clock.now()
    token, raw = new_token(deps.rng), deps.rng.token_bytes(32)
    await uow.passkeys.add_challenge(
        Challenge(
            id_hash=challenge_hash(deps, token),
            site=site.code,
            ceremony=ceremony,
            challenge=_b64(raw),
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
            account_id=account_id,
        )
    )
    return token, raw


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=_unb64(passkey.credential_id))


async def begin_registration(deps: Deps, me: Current) -> Begun:
    """Options to create a discoverable, user-verified passkey for the signed-in account
    (the ones it has already are excluded, so an authenticator is not registered twice).
    Like two-step changes, it needs a password given in the last ten minutes."""
    require_recent(deps, me)
    site = deps.site(me.account.site)
    account = me.account
    async with deps.uow() as uow:
        mine = await uow.passkeys.for_account(site.code, account.id)
        token, raw = await _challenge(deps, uow, site, Ceremony.REGISTER, account.id)
        await uow.commit()
    options = generate_registration_options(
        rp_id=rp_id(site),
        rp_name=site.brand,
        user_name=account.email or account.phone or account.name,
        user_id=user_handle(deps, site.code, account.id),
        user_display_name=account.name,
        challenge=raw,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in mine],
    )
    return Begun(token=token, options=options_to_json(options))


def parse_credential(raw: str) -> dict[str, Any]:
    """The browser's PublicKeyCredential as JSON, or InvalidInput."""
    try:
        found = json.loads(raw) if len(raw) <= 64 * 1024 else None
    except ValueError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        raise InvalidInput(NOT_CHECKED, field="credential")
    return found


async def finish_registration(
    deps: Deps,
    me: Current,
    token: str,
    credential: str,
    who: Requester,
    *,
    name: str = "",
    native_origins: tuple[str, ...] = (),
) -> Passkey:
    """Check the new credential against this account's live challenge and keep it."""
    require_recent(deps, me)
    site = deps.site(me.account.site)
    now = deps.clock.now()
    found = parse_credential(credential)
    async with deps.uow() as uow:
        challenge = await uow.passkeys.take_challenge(
            site.code, challenge_hash(deps, token), Ceremony.REGISTER, now
        )
        await uow.commit()
    if challenge is None or challenge.account_id != me.account.id:
        raise InvalidInput(EXPIRED, field="credential")
    try:
        verified = verify_registration_response(
            credential=found,
            expected_challenge=_unb64(challenge.challenge),
            expected_rp_id=rp_id(site),
            expected_origin=origins(site, native_origins),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidInput(NOT_CHECKED, field="credential") from None
    response = found.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    passkey = Passkey(
        credential_id=_b64(verified.credential_id),
        site=site.code,
        account_id=me.account.id,
        public_key=_b64(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=clean_name(name, describe_user_agent(who.user_agent)),
        created_at=now,
        transports=[t for t in transports if isinstance(t, str)][:8]
        if isinstance(transports, list)
        else [],
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
    )
    async with deps.uow() as uow:
        try:
            await uow.passkeys.add(passkey)
        except Conflict:
            raise InvalidInput(ALREADY, field="credential") from None
        await audit(
            deps, uow, site.code, me.account.id, AuditAction.PASSKEY_ADDED, who,
            passkey=passkey.name,
        )  # fmt: skip
        # Every contact is told: a passkey signs in without the password (SECURITY.md 22).
        await notify_all_of(
            deps, uow, site, me.account, MessageKind.PASSKEY_CHANGED, "passkey_changed",
            who=who, change="added", passkey=passkey.name,
        )  # fmt: skip
        await uow.commit()
    deps.on_message()
    return passkey


async def begin_sign_in(deps: Deps, site_code: str) -> Begun:
    """Options for a usernameless assertion: no credential is listed, so the browser offers
    the passkeys it holds for this site (the button, or autofill on the identifier field)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        token, raw = await _challenge(deps, uow, site, Ceremony.SIGN_IN, None)
        await uow.commit()
    options = generate_authentication_options(
        rp_id=rp_id(site),
        challenge=raw,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return Begun(token=token, options=options_to_json(options))


async def take(deps: Deps, site: Site, token: str, ceremony: Ceremony) -> Challenge:
    """The ceremony's live challenge, spent now (single use); InvalidInput when there is
    none: used already, expired, another site's or another ceremony's."""
    async with deps.uow() as uow:
        challenge = await uow.passkeys.take_challenge(
            site.code, challenge_hash(deps, token), ceremony, deps.clock.now()
        )
        await uow.commit()
    if challenge is None:
        raise InvalidInput(EXPIRED, field="credential")
    return challenge


class Unsigned(InvalidInput):
    """An assertion the passkey's key did not sign: anyone who learnt a credential id can
    send one, so it must not count toward the owner's lock (only the address's)."""


def _signed(passkey: Passkey, found: dict[str, Any]) -> bool:
    """Whether the passkey's public key signed this assertion's data, before anything else
    of it is judged."""
    try:
        response = found["response"]
        auth = _unb64(response["authenticatorData"])
        client = _unb64(response["clientDataJSON"])
        signature = _unb64(response["signature"])
        decoded = decode_credential_public_key(_unb64(passkey.public_key))
        verify_signature(
            public_key=decoded_public_key_to_cryptography(decoded),
            signature_alg=decoded.alg,
            signature=signature,
            data=auth + hashlib.sha256(client).digest(),
        )
    except (InvalidSignature, WebAuthnException, ValueError, KeyError, TypeError, binascii.Error):
        return False
    return True


async def check_assertion(
    deps: Deps,
    site: Site,
    challenge: Challenge,
    passkey: Passkey,
    found: dict[str, Any],
    who: Requester,
    *,
    native_origins: tuple[str, ...] = (),
) -> int:
    """Check a user-verified assertion of ``passkey`` against ``challenge``, and that it
    speaks for the passkey's account (its user handle); the new sign count. InvalidInput
    when it fails (Unsigned when the key did not sign it); a counter that went back is
    audited first (a copy of the key)."""
    if not _signed(passkey, found):
        raise Unsigned(NOT_CHECKED, field="credential")
    try:
        verified = verify_authentication_response(
            credential=found,
            expected_challenge=_unb64(challenge.challenge),
            expected_rp_id=rp_id(site),
            expected_origin=origins(site, native_origins),
            credential_public_key=_unb64(passkey.public_key),
            credential_current_sign_count=0,  # the counter is judged below
            require_user_verification=True,
        )
        response = found["response"]
        handle = _unb64(response["userHandle"]) if response.get("userHandle") else b""
    except (WebAuthnException, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise InvalidInput(NOT_CHECKED, field="credential") from None
    if handle != user_handle(deps, site.code, passkey.account_id):
        raise InvalidInput(NOT_CHECKED, field="credential")
    if sign_count(passkey.sign_count, verified.new_sign_count) is Count.CLONED:
        async with deps.uow() as uow:
            await audit(
                deps, uow, site.code, passkey.account_id, AuditAction.PASSKEY_CLONE_SUSPECTED,
                who, passkey=passkey.name, stored=passkey.sign_count,
                presented=verified.new_sign_count,
            )  # fmt: skip
            await uow.commit()
        raise InvalidInput(NOT_CHECKED, field="credential")
    return verified.new_sign_count


async def sweep(deps: Deps) -> int:
    """Forget the challenges that expired: every sign-in page asks for one (autofill)."""
    async with deps.uow() as uow:
        n = await uow.passkeys.sweep_challenges(deps.clock.now())
        await uow.commit()
    return n
