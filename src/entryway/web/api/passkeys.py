"""The JSON API's passkeys, for the store's native apps: sign in with a passkey, and add
one to the signed-in account. Each ceremony is two calls: ``…/options`` gives the options to
hand to the platform's passkey API (WebAuthn's JSON form) and a ``flow_id``; the second call
sends the credential the platform returned, with that ``flow_id``, within five minutes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.flows.passkeys import ceremonies, manage
from entryway.flows.passkeys import sign_in as passkey_sign_in
from entryway.flows.passkeys.records import Passkey
from entryway.web.api.contract import (
    Clean,
    DeviceId,
    Done,
    In,
    Me,
    Text,
    answers,
    api_who,
    done,
)
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["passkeys"])
Credential = Annotated[
    dict[str, Any],
    Field(description="The PublicKeyCredential the platform returned, in WebAuthn's JSON form."),
]


class OptionsOut(BaseModel):
    flow_id: str
    options: dict[str, Any] = Field(
        description="PublicKeyCredentialRequestOptions (or …CreationOptions) as JSON."
    )


class PasskeySignInIn(In):
    flow_id: Text
    credential: Credential
    keep_signed_in: bool = False
    device_id: DeviceId = ""


class PasskeyIn(In):
    flow_id: Text
    credential: Credential
    name: Annotated[str, Field(max_length=200), Clean] = ""


class RenameIn(In):
    name: Annotated[str, Field(min_length=1, max_length=200), Clean]


class PasskeyOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    synced: bool


def _out(passkey: Passkey) -> PasskeyOut:
    return PasskeyOut(
        id=passkey.credential_id,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
        synced=passkey.backed_up,
    )


def passkey_options(begun: ceremonies.Begun) -> OptionsOut:
    return OptionsOut(flow_id=begun.token, options=json.loads(begun.options))


@router.post(
    "/sign-in/passkey/options", response_model=OptionsOut, responses=answers(429, body=False)
)
async def passkey_sign_in_options(request: Request) -> OptionsOut:
    """A challenge for a usernameless passkey sign-in on this site; one client address
    may ask for 300 in ten minutes (`sign_in_throttled` past that)."""
    return passkey_options(
        await ceremonies.begin_sign_in(web_of(request).deps, site_of(request).code, who(request))
    )


@router.post(
    "/sign-in/passkey",
    response_model=Done,
    responses=answers(410, 422, 423, 429, suspended=True, closed=True),
)
async def passkey_sign_in_finish(body: PasskeySignInIn, request: Request) -> Done:
    """A user-verified assertion is a whole sign-in: no second step, no unusual-sign-in
    code. A failed one (`bad_request`) the passkey signed counts toward the account's lock;
    one it did not sign, or an unknown passkey, counts on the client's address only. A
    spent or expired `flow_id` answers `flow_expired`."""
    result = await passkey_sign_in.sign_in(
        web_of(request).deps,
        site_of(request).code,
        token=body.flow_id,
        credential=json.dumps(body.credential),
        remember=body.keep_signed_in,
        who=api_who(request, body.device_id),
        client="api",
    )
    return done(result)


@router.get(
    "/account/passkeys", response_model=list[PasskeyOut], responses=answers(401, body=False)
)
async def list_passkeys(me: Me, request: Request) -> list[PasskeyOut]:
    return [_out(p) for p in await manage.mine(web_of(request).deps, me)]


@router.post(
    "/account/passkeys/options",
    response_model=OptionsOut,
    responses=answers(401, 403, 422, body=False),
)
async def add_passkey_options(me: Me, request: Request) -> OptionsOut:
    """Needs a password given in the last ten minutes (`/account/reauthenticate`); an
    account keeps at most 20 passkeys (`bad_request` past that)."""
    return passkey_options(await ceremonies.begin_registration(web_of(request).deps, me))


@router.post(
    "/account/passkeys",
    response_model=PasskeyOut,
    status_code=201,
    responses=answers(401, 403, 410),
)
async def add_passkey(body: PasskeyIn, me: Me, request: Request) -> PasskeyOut:
    added = await ceremonies.finish_registration(
        web_of(request).deps,
        me,
        body.flow_id,
        json.dumps(body.credential),
        who(request),
        name=body.name,
    )
    return _out(added)


@router.patch(
    "/account/passkeys/{passkey_id}",
    response_model=PasskeyOut,
    responses=answers(401, 404),
)
async def rename_passkey(passkey_id: str, body: RenameIn, me: Me, request: Request) -> PasskeyOut:
    """Rename one of the account's passkeys (``id`` from the list)."""
    renamed = await manage.rename(
        web_of(request).deps, me, passkey_id[:1400], body.name, who(request)
    )
    return _out(renamed)


@router.delete(
    "/account/passkeys/{passkey_id}",
    status_code=204,
    responses=answers(401, 403, 404, 422, body=False),
)
async def remove_passkey(passkey_id: str, me: Me, request: Request) -> Response:
    """Remove one of the account's passkeys. Needs a password given in the last ten
    minutes; ``forbidden`` when it is the account's last way in."""
    await manage.remove(web_of(request).deps, me, passkey_id[:1400], who(request))
    return Response(status_code=204)
