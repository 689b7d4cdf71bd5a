"""The JSON API's Login & security: the account, name, password, devices, activity,
Message Center, and email or phone changes."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import ACTIVITY_LABELS
from entryway.core.identifiers import IdentifierKind
from entryway.core.masking import mask
from entryway.flows import words
from entryway.flows.account import account as account_flow
from entryway.flows.account import closing, data_export
from entryway.web.api.contract import (
    CodeIn,
    Ended,
    FlowOut,
    In,
    Me,
    PathId,
    Secret,
    Text,
    again,
    answers,
)
from entryway.web.downloads import data_file
from entryway.web.i18n import gettext_for
from entryway.web.render import web_of, who
from entryway.web.routing import DirectRoute
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["account"], route_class=DirectRoute)


class AccountOut(BaseModel):
    id: str
    site: str
    name: str
    email: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool
    created_at: datetime
    locale: str = Field(
        description="The language of the account's emails and texts, a locale of its site "
        "(`fr-CA`); the site's default until one is chosen (`PUT /account/language`)."
    )


class NameIn(In):
    name: Text


class LanguageIn(In):
    locale: Text = Field(description="One of the site's locales, e.g. `fr-CA`.")


class PasswordIn(In):
    current_password: Secret
    password: Secret
    password_again: Secret | None = Field(
        default=None, description="Optional for apps; when sent it must match `password`."
    )


class ContactIn(In):
    identifier: Text


class CloseIn(In):
    password: Secret


class ClosedOut(BaseModel):
    closed_at: datetime
    erase_after: datetime = Field(
        description="When the account is erased; until then Customer Service can reopen it "
        "(Ask us). Every session and app token ended with the closing."
    )


class DeviceOut(BaseModel):
    id: str
    current: bool
    client: str
    user_agent: str
    ip: str
    signed_in_at: datetime
    last_seen_at: datetime


class ActivityOut(BaseModel):
    action: str
    label: str
    at: datetime
    ip: str
    user_agent: str


class MessageOut(BaseModel):
    id: str
    channel: str
    kind: str
    to: str
    subject: str
    body: str
    created_at: datetime
    filed_at: datetime = Field(
        description="When it went out (or is due): the list is newest first by this."
    )
    status: str


@router.get("/account", response_model=AccountOut, responses=answers(401, body=False))
async def get_account(me: Me, request: Request) -> Response:
    # What apps ask most often: the answer is written straight from the model built here
    # (returned as a model, FastAPI would validate it against AccountOut once more).
    a = me.account
    out = AccountOut(
        id=a.id,
        site=a.site,
        name=a.name,
        email=a.email,
        email_verified=a.email_verified,
        phone=a.phone,
        phone_verified=a.phone_verified,
        created_at=a.created_at,
        locale=words.reader_locale(site_of(request), a),
    )
    return Response(out.model_dump_json(), media_type="application/json")


@router.put("/account/name", status_code=204, responses=answers(401))
async def put_name(body: NameIn, me: Me, request: Request) -> Response:
    await account_flow.change_name(web_of(request).deps, me, body.name, who(request))
    return Response(status_code=204)


@router.put("/account/language", status_code=204, responses=answers(401))
async def put_language(body: LanguageIn, me: Me, request: Request) -> Response:
    """Keep the language of this account's emails and texts; 422 (`field: locale`) for a
    locale its site does not offer."""
    await account_flow.set_language(web_of(request).deps, me, body.locale, who(request))
    return Response(status_code=204)


@router.put("/account/password", status_code=204, responses=answers(401))
async def put_password(body: PasswordIn, me: Me, request: Request) -> Response:
    await account_flow.change_password(
        web_of(request).deps,
        me,
        current_password=body.current_password,
        new=body.password,
        new_again=again(body.password, body.password_again),
        who=who(request),
    )
    return Response(status_code=204)


@router.get("/account/devices", response_model=list[DeviceOut], responses=answers(401, body=False))
async def devices(me: Me, request: Request) -> list[DeviceOut]:
    info = await account_flow.overview(web_of(request).deps, me)
    return [
        DeviceOut(
            id=s.public_id,
            current=s.public_id == me.session.public_id,
            client=s.client,
            user_agent=s.user_agent,
            ip=s.ip,
            signed_in_at=s.created_at,
            last_seen_at=s.last_seen_at,
        )
        for s in info.sessions
    ]


@router.delete("/account/devices/{device_id}", status_code=204, responses=answers(401, 404))
async def end_device(device_id: PathId, me: Me, request: Request) -> Response:
    await account_flow.end_session(web_of(request).deps, me, device_id, who(request))
    return Response(status_code=204)


@router.post(
    "/account/sign-out-everywhere", response_model=Ended, responses=answers(401, body=False)
)
async def end_all(me: Me, request: Request) -> Ended:
    return Ended(ended=await account_flow.end_all_sessions(web_of(request).deps, me, who(request)))


@router.get(
    "/account/activity", response_model=list[ActivityOut], responses=answers(401, body=False)
)
async def activity(me: Me, request: Request) -> list[ActivityOut]:
    info = await account_flow.overview(web_of(request).deps, me)
    return [
        ActivityOut(
            action=e.action.value,
            label=ACTIVITY_LABELS.get(e.action, e.action),
            at=e.at,
            ip=e.ip,
            user_agent=e.user_agent,
        )
        for e in info.activity
    ]


@router.get(
    "/account/data",
    responses={
        200: {
            "description": "Download your data: the account's data as one JSON document "
            "(an attachment), secrets left out",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **answers(401, 403, body=False),
    },
    response_class=Response,
)
async def download_data(me: Me, request: Request) -> Response:
    """Needs a password given in the last ten minutes (``POST /account/reauthenticate``);
    else 403 ``forbidden``. The download is noted in the security activity."""
    return data_file(await data_export.export(web_of(request).deps, me, who(request)))


@router.post("/account/close", response_model=FlowOut, status_code=202, responses=answers(401))
async def close_account(body: CloseIn, me: Me, request: Request) -> FlowOut:
    """Close your account, step one: the password, typed now (422 ``password_rejected`` when
    wrong, counted like a wrong sign-in), then a code to the email on file (else the phone).
    Nothing is closed until the code is entered at ``/account/close/verify``."""
    started = await closing.start(web_of(request).deps, me, body.password, who(request))
    return FlowOut(flow_id=started.flow_token, sent_to=started.sent_to)


@router.post("/account/close/verify", response_model=ClosedOut, responses=answers(401, 410))
async def confirm_close(body: CodeIn, me: Me, request: Request) -> ClosedOut:
    """The code closes the account at once: this token and every other session end, apps'
    tokens stop, and every contact is told. It is erased at ``erase_after``."""
    done = await closing.confirm(web_of(request).deps, me, body.flow_id, body.code, who(request))
    return ClosedOut(closed_at=done.closed_at, erase_after=done.erase_after)


@router.get(
    "/account/messages", response_model=list[MessageOut], responses=answers(401, body=False)
)
async def message_center(me: Me, request: Request) -> list[MessageOut]:
    found = await account_flow.messages(web_of(request).deps, me, gettext_for(request))
    return [
        MessageOut(
            id=m.id,
            channel=m.channel.value,
            kind=m.kind.value,
            to=mask("email" if m.channel == "email" else "phone", m.to),
            subject=m.subject,
            body=m.body,
            created_at=m.created_at,
            filed_at=m.filed_at,
            status=m.status.value,
        )
        for m in found
    ]


def _contact_routes(kind: IdentifierKind) -> None:
    """``/account/email`` and ``/account/phone``: a code to the new one, then ``/verify``."""

    async def start(body: ContactIn, me: Me, request: Request) -> FlowOut:
        """Send a code to the new contact; it replaces the old one once confirmed."""
        started = await account_flow.start_contact_change(
            web_of(request).deps, me, kind, body.identifier, who(request)
        )
        return FlowOut(flow_id=started.flow_token, sent_to=started.sent_to)

    async def confirm(body: CodeIn, me: Me, request: Request) -> Response:
        """The code from the new contact: it becomes the account's, and the old one is told."""
        await account_flow.confirm_contact_change(
            web_of(request).deps, me, kind, body.flow_id, body.code, who(request)
        )
        return Response(status_code=204)

    path = f"/account/{kind.value}"
    router.add_api_route(
        path,
        start,
        methods=["POST"],
        response_model=FlowOut,
        status_code=202,
        name=f"change_{kind.value}",
        responses=answers(401),
    )
    router.add_api_route(
        f"{path}/verify",
        confirm,
        methods=["POST"],
        status_code=204,
        name=f"confirm_{kind.value}",
        responses=answers(401, 410),
    )


for _kind in (IdentifierKind.EMAIL, IdentifierKind.PHONE):
    _contact_routes(_kind)
