"""The two WebAuthn ceremonies, checked by py_webauthn: adding a passkey to the signed-in
account, and proving one (to sign in, or as a second step).

Each ceremony begins with a random challenge stored by the keyed hash of a token the
browser (or the JSON API's client) holds; finishing takes it, once, for its own site and
ceremony, within five minutes. User verification is required both times: a passkey stands
for the password and the second step together. An assertion, once its challenge is taken,
is judged in ``assertions``."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_registration_response,
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
from entryway.core.passkeys import (
    CHALLENGE_LIFETIME,
    PER_ACCOUNT,
    STAFF,
    Party,
    clean_name,
    site_party,
)
from entryway.core.secrets import keyed_hash, new_token
from entryway.core.throttle import FailureScope, window_start
from entryway.errors import Conflict, FlowExpired, InvalidInput, SignInThrottled
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.passkeys.ports import Passkeys
from entryway.flows.passkeys.records import Ceremony, Challenge, Passkey
from entryway.flows.ports import Deps, Requester, UnitOfWork

# A credential id is at most 1023 bytes (WebAuthn §5.1): base64url, without padding.
ID_MAX_BYTES = 1023
_CREDENTIAL_ID = re.compile(r"[A-Za-z0-9_-]{16,1364}")
TIMEOUT_MS = int(CHALLENGE_LIFETIME.total_seconds() * 1000)
# Every sign-in page asks for a challenge (for autofill) before anyone is known: a client
# address may ask this many in a window, so nobody fills the table from one machine.
ASKS_PER_ADDRESS = 300
ASK_WINDOW = timedelta(minutes=10)
BUSY = N_(
    "Too many passkey requests from your network. Please try again in a few minutes, or "
    "sign in with your password."
)
EXPIRED = N_("That passkey request has expired. Please try again.")
NOT_CHECKED = N_("We couldn't check that passkey. Please try again.")
ALREADY = N_("That passkey is already on your account.")
TAKEN = N_("That passkey can't be added here. Try another one.")
TOO_MANY = N_("You have {most} passkeys, the most an account can have. Remove one to add another.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def store(uow: UnitOfWork, code: str) -> Passkeys:
    """The customers' passkeys, or the console's (STAFF): never the same tables."""
    return uow.staff_passkeys if code == STAFF else uow.passkeys


def challenge_hash(deps: Deps, token: str, binding: str = "") -> str:
    """Where a challenge is kept: the keyed hash of the ceremony's token and of what it is
    bound to besides (the session adding a passkey, the partial session at the second
    step), so it answers only there."""
    return keyed_hash(deps.keys.hashing, "passkey-challenge", f"{binding}\0{token}")


def user_handle(deps: Deps, site: str, account_id: str) -> bytes:
    """The account's WebAuthn user id on its site: 32 bytes derived by keyed hash, so it
    names neither the row nor the email, and is the same for every passkey of the account."""
    return bytes.fromhex(keyed_hash(deps.keys.subject, "passkey-user", f"{site}\0{account_id}"))


@dataclass(frozen=True, slots=True)
class Begun:
    """A ceremony's options for ``navigator.credentials`` (JSON) and the token that finishes
    it (the page's form field ``flow``, or the JSON API's ``flow_id``)."""

    token: str
    options: str


async def new_challenge(
    deps: Deps,
    uow: UnitOfWork,
    code: str,
    ceremony: Ceremony,
    account_id: str | None,
    binding: str = "",
) -> tuple[str, bytes]:
    """A new challenge of the party ``code`` (a site's, or STAFF): the token that finishes
    it, and its raw bytes for the options."""
    now = deps.clock.now()
    token, raw = new_token(deps.rng), deps.rng.token_bytes(32)
    await store(uow, code).add_challenge(
        Challenge(
            id_hash=challenge_hash(deps, token, binding),
            site=code,
            ceremony=ceremony,
            challenge=_b64(raw),
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
            account_id=account_id,
        )
    )
    return token, raw


def descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=unb64(passkey.credential_id))


def creation_options(
    deps: Deps,
    party: Party,
    raw: bytes,
    *,
    account_id: str,
    user_name: str,
    display_name: str,
    exclude: list[Passkey],
) -> str:
    """Options to create a discoverable, user-verified passkey (the ones the account has
    already are excluded, so one authenticator is not registered twice)."""
    options = generate_registration_options(
        rp_id=party.id,
        rp_name=party.name,
        user_name=user_name,
        user_id=user_handle(deps, party.code, account_id),
        user_display_name=display_name,
        challenge=raw,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[descriptor(p) for p in exclude],
    )
    return options_to_json(options)


def registered(
    party: Party,
    challenge: Challenge,
    found: dict[str, Any],
    *,
    account_id: str,
    name: str,
    fallback: str,
    now: datetime,
) -> Passkey:
    """The passkey a registration response makes, checked against its challenge (origin,
    relying party, user verification); InvalidInput when it fails."""
    try:
        verified = verify_registration_response(
            credential=found,
            expected_challenge=unb64(challenge.challenge),
            expected_rp_id=party.id,
            expected_origin=list(party.origins),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise InvalidInput(NOT_CHECKED, field="credential") from None
    if len(verified.credential_id) > ID_MAX_BYTES:
        raise InvalidInput(NOT_CHECKED, field="credential")
    response = found.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    return Passkey(
        credential_id=_b64(verified.credential_id),
        site=party.code,
        account_id=account_id,
        public_key=_b64(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=clean_name(name, fallback),
        created_at=now,
        transports=[t for t in transports if isinstance(t, str)][:8]
        if isinstance(transports, list)
        else [],
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
    )


async def keep(uow: UnitOfWork, passkey: Passkey) -> None:
    """Store a new passkey: InvalidInput when the credential is registered already (to this
    account, or to another of the party's)."""
    try:
        await store(uow, passkey.site).add(passkey)
    except Conflict:
        mine = await store(uow, passkey.site).get(passkey.site, passkey.credential_id)
        mine_already = mine is not None and mine.account_id == passkey.account_id
        raise InvalidInput(ALREADY if mine_already else TAKEN, field="credential") from None


def room_for_one(mine: list[Passkey]) -> None:
    if len(mine) >= PER_ACCOUNT:
        raise InvalidInput(TOO_MANY, field="credential", params={"most": PER_ACCOUNT})


async def begin_registration(deps: Deps, me: Current) -> Begun:
    """Options to add a passkey to the signed-in account. Like two-step changes, it needs a
    password given in the last ten minutes; the challenge is bound to this session."""
    require_recent(deps, me)
    site = deps.site(me.account.site)
    account = me.account
    async with deps.uow() as uow:
        mine = await uow.passkeys.for_account(site.code, account.id)
        room_for_one(mine)
        token, raw = await new_challenge(
            deps, uow, site.code, Ceremony.REGISTER, account.id, me.session.id_hash
        )
        await uow.commit()
    options = creation_options(
        deps, site_party(site), raw, account_id=account.id,
        user_name=account.email or account.phone or account.name,
        display_name=account.name, exclude=mine,
    )  # fmt: skip
    return Begun(token=token, options=options)


def parse_credential(raw: str) -> dict[str, Any]:
    """The browser's PublicKeyCredential as JSON, or InvalidInput."""
    try:
        found = json.loads(raw) if len(raw) <= 64 * 1024 else None
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        found = None
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("id"), str)
        or not _CREDENTIAL_ID.fullmatch(found["id"])
    ):
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
) -> Passkey:
    """Check the new credential against this session's live challenge and keep it."""
    require_recent(deps, me)
    site = deps.site(me.account.site)
    now = deps.clock.now()
    found = parse_credential(credential)
    challenge = await take(deps, site.code, token, Ceremony.REGISTER, me.session.id_hash)
    if challenge.account_id != me.account.id:
        raise FlowExpired(EXPIRED, field="credential")
    passkey = registered(
        site_party(site), challenge, found, account_id=me.account.id, name=name,
        fallback=describe_user_agent(who.user_agent), now=now,
    )  # fmt: skip
    async with deps.uow() as uow:
        room_for_one(await uow.passkeys.for_account(site.code, me.account.id))
        await keep(uow, passkey)
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


def request_options(party: Party, raw: bytes, allow: list[Passkey] | None = None) -> str:
    """Options for an assertion: usernameless (the browser offers the passkeys it holds
    for the party) or, with ``allow``, one of those passkeys."""
    options = generate_authentication_options(
        rp_id=party.id,
        challenge=raw,
        timeout=TIMEOUT_MS,
        allow_credentials=[descriptor(p) for p in allow or []],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def ask_key(deps: Deps, code: str, ip: str) -> str:
    return keyed_hash(deps.keys.hashing, "passkey-asks", f"{code}\0{ip}")


def asked_too_often(deps: Deps, count: int) -> None:
    """SignInThrottled past ASKS_PER_ADDRESS in the window (the password still signs in)."""
    if count > ASKS_PER_ADDRESS:
        now = deps.clock.now()
        end = window_start(now, ASK_WINDOW) + ASK_WINDOW
        raise SignInThrottled(BUSY, retry_after=max(1, math.ceil((end - now).total_seconds())))


async def within_quota(deps: Deps, uow: UnitOfWork, code: str, who: Requester) -> None:
    """Count a usernameless challenge of a site on the client's address (the console's
    count in its own table: flows/staff/passkeys)."""
    if not who.ip:
        return
    window = window_start(deps.clock.now(), ASK_WINDOW)
    key = ask_key(deps, code, who.ip)
    asked_too_often(deps, await uow.counters.hit(code, FailureScope.PASSKEY_ASKS, key, window))


async def begin_sign_in(deps: Deps, site_code: str, who: Requester, *, binding: str = "") -> Begun:
    """Options for a usernameless assertion: no credential is listed, so the browser offers
    the passkeys it holds for this site (the button, or autofill on the identifier field).
    ``binding``: what ties the challenge to the browser besides its token (the pages give
    a digest of their HttpOnly CSRF cookie; the API's ``flow_id`` stands alone)."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        await within_quota(deps, uow, site.code, who)
        token, raw = await new_challenge(deps, uow, site.code, Ceremony.SIGN_IN, None, binding)
        await uow.commit()
    return Begun(token=token, options=request_options(site_party(site), raw))


async def take(
    deps: Deps, code: str, token: str, ceremony: Ceremony, binding: str = ""
) -> Challenge:
    """The ceremony's live challenge of the party ``code``, spent now (single use);
    FlowExpired when there is none: used already, expired, another party's, ceremony's
    or session's."""
    async with deps.uow() as uow:
        challenge = await store(uow, code).take_challenge(
            code, challenge_hash(deps, token, binding), ceremony, deps.clock.now()
        )
        await uow.commit()
    if challenge is None:
        raise FlowExpired(EXPIRED, field="credential")
    return challenge


async def sweep(deps: Deps) -> int:
    """Forget the challenges that expired: every sign-in page asks for one (autofill)."""
    async with deps.uow() as uow:
        now = deps.clock.now()
        n = await uow.passkeys.sweep_challenges(now)
        n += await uow.staff_passkeys.sweep_challenges(now)
        await uow.commit()
    return n
