"""The JSON API (``/api/v1``): the same flows as the pages, for native apps.

Authentication is a bearer session token returned by sign-in; no cookies, so no CSRF.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import ACTIVITY_LABELS, FlowPurpose
from entryway.core.identifiers import IdentifierKind
from entryway.core.masking import mask
from entryway.errors import Unauthenticated
from entryway.flows import account as account_flow
from entryway.flows import (
    codes,
    password_reset,
    registration,
    second_step,
    sign_in,
    support,
    two_step,
)
from entryway.flows.account import Current
from entryway.flows.ports import Requester
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["v1"])

Secret = Annotated[str, Field(max_length=4096)]
# At least 128 bits of the app's own randomness, so nobody else can claim to be that device.
DeviceId = Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{22,64})?$")]
Text = Annotated[str, Field(max_length=400)]


class IdentifierIn(BaseModel):
    identifier: Text


class NextStep(BaseModel):
    next: Literal["password"]


class SignInIn(BaseModel):
    identifier: Text
    password: Secret
    keep_signed_in: bool = False
    remembered_browser_token: Annotated[str, Field(max_length=100)] = ""
    # An app's own install id (kept by the app): once it signed in, it keeps its own failure
    # budget, so guesses from elsewhere cannot lock the owner's app out.
    device_id: DeviceId = ""


class SessionOut(BaseModel):
    session_token: str
    account_id: str


class SecondStepNeeded(BaseModel):
    next: Literal["two_step"]
    partial_token: str


class SecondStepIn(BaseModel):
    partial_token: Text
    code: Annotated[str, Field(max_length=40)]
    method: Literal["app", "phone", "backup"] = "app"
    keep_signed_in: bool = False
    remember_browser: bool = False


class SecondStepOut(BaseModel):
    session_token: str
    account_id: str
    remembered_browser_token: str | None = None


class PartialIn(BaseModel):
    partial_token: Text


class OptionsOut(BaseModel):
    app: bool
    phones: list[dict[str, str]]
    backup: bool
    preferred: str


class SendIn(BaseModel):
    partial_token: Text
    phone_id: Text
    channel: Literal["sms", "voice"] = "sms"


class SentOut(BaseModel):
    sent_to: str


class PhoneIn(BaseModel):
    identifier: Text
    channel: Literal["sms", "voice"] = "sms"


class MethodIn(BaseModel):
    method_id: Text


class CaseIn(BaseModel):
    partial_token: Text
    message: Annotated[str, Field(max_length=4000)]


class CaseOut(BaseModel):
    case_number: str


class PasswordConfirmIn(BaseModel):
    password: Secret


class TwoStepOut(BaseModel):
    enabled: bool
    methods: list[dict[str, str]]
    backup_codes_left: int
    preferred: str | None


class AppEnrolmentOut(BaseModel):
    factor_id: str
    key: str
    otpauth_uri: str


class AppConfirmIn(BaseModel):
    factor_id: Text
    code: Annotated[str, Field(max_length=20)]


class BackupCodesOut(BaseModel):
    backup_codes: list[str]


class VerifyNeeded(BaseModel):
    next: Literal["verify"]
    flow_id: str


class ConfirmNeeded(BaseModel):
    """A right password from a device we don't recognise after failures: a code went to
    ``sent_to``; finish at ``/sign-in/confirm``."""

    next: Literal["confirm"]
    flow_id: str
    sent_to: str


class RegisterIn(BaseModel):
    name: Text
    identifier: Text
    password: Secret
    password_again: Secret


class FlowOut(BaseModel):
    flow_id: str
    sent_to: str


class CodeIn(BaseModel):
    flow_id: Text
    code: Annotated[str, Field(max_length=20)]


class FlowIn(BaseModel):
    flow_id: Text


class AccountOut(BaseModel):
    id: str
    site: str
    name: str
    email: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool
    created_at: datetime


class NameIn(BaseModel):
    name: Text


class PasswordIn(BaseModel):
    current_password: Secret
    password: Secret
    password_again: Secret


class ContactIn(BaseModel):
    identifier: Text


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
    status: str


class ResetIn(BaseModel):
    identifier: Text


class ChoiceOut(BaseModel):
    index: int
    kind: Literal["email", "phone"]
    masked: str
    channels: list[Literal["email", "sms", "voice"]]


class ResetOut(BaseModel):
    flow_id: str
    next: Literal["choose", "code", "verified"]
    choices: list[ChoiceOut] = []
    sent_to: str = ""
    channel: str = ""
    resend_after_seconds: int = 0


class ChooseIn(BaseModel):
    flow_id: Text
    index: int
    channel: Literal["email", "sms", "voice"]


class NewPasswordIn(BaseModel):
    flow_id: Text
    password: Secret
    password_again: Secret


class Ended(BaseModel):
    ended: int


def api_who(request: Request, device_id: str) -> Requester:
    """The requester, with the app's install id as its device (apps keep no cookies)."""
    found = who(request)
    return replace(found, device=device_id) if device_id else found


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


async def signed_in(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Current:
    """The API's session: ``Authorization: Bearer <session_token>``."""
    token = _bearer(authorization)
    if not token:
        raise Unauthenticated("Send Authorization: Bearer <session_token>.")
    return await account_flow.current(web_of(request).deps, site_of(request).code, token)


Me = Annotated[Current, Depends(signed_in)]


@router.post("/sign-in/identifier", response_model=NextStep)
async def identifier_step(body: IdentifierIn, request: Request) -> NextStep:
    """Step one: the same answer for every well-formed identifier, known or not."""
    sign_in.check_identifier(web_of(request).deps, site_of(request).code, body.identifier)
    return NextStep(next="password")


@router.post(
    "/sign-in",
    response_model=SessionOut | SecondStepNeeded | VerifyNeeded | ConfirmNeeded,
    responses={
        401: {"description": "sign_in_failed (one answer for every cause)"},
        423: {"description": "account_locked: refused before any password check"},
        429: {"description": "sign_in_throttled: wait Retry-After seconds"},
    },
)
async def sign_in_step(
    body: SignInIn, request: Request
) -> SessionOut | SecondStepNeeded | VerifyNeeded | ConfirmNeeded:
    """Step two. With two-step verification on, the answer is a ``partial_token`` that can
    only be used at ``/sign-in/two-step`` (for ten minutes)."""
    result = await sign_in.sign_in(
        web_of(request).deps,
        site_of(request).code,
        identifier=body.identifier,
        password=body.password,
        remember=body.keep_signed_in,
        who=api_who(request, body.device_id),
        client="api",
        browser=body.remembered_browser_token,
    )
    if isinstance(result, sign_in.MustVerify):
        return VerifyNeeded(next="verify", flow_id=result.flow_token)
    if isinstance(result, sign_in.MustConfirm):
        return ConfirmNeeded(next="confirm", flow_id=result.flow_token, sent_to=result.sent_to)
    if isinstance(result, sign_in.SecondStep):
        return SecondStepNeeded(next="two_step", partial_token=result.partial_token)
    return SessionOut(session_token=result.session_token, account_id=result.account_id)


@router.post("/sign-in/two-step", response_model=SecondStepOut)
async def pass_second_step(body: SecondStepIn, request: Request) -> SecondStepOut:
    """A code from an authenticator app (``method=app``), one texted or read out by
    ``/sign-in/two-step/send`` (``phone``), or a backup code (``backup``).
    ``remember_browser`` returns a token that skips this step for 30 days when sent with
    ``/sign-in``."""
    passed = await second_step.pass_second_step(
        web_of(request).deps,
        site_of(request).code,
        body.partial_token,
        body.code,
        method=body.method,
        remember=body.keep_signed_in,
        who=who(request),
        client="api",
        remember_browser=body.remember_browser,
    )
    return SecondStepOut(
        session_token=passed.session_token,
        account_id=passed.account_id,
        remembered_browser_token=passed.browser_token,
    )


@router.post("/sign-in/two-step/options", response_model=OptionsOut)
async def second_step_options(body: PartialIn, request: Request) -> OptionsOut:
    """The methods this account can use at the second step, phones masked."""
    options = await second_step.options(
        web_of(request).deps, site_of(request).code, body.partial_token
    )
    return OptionsOut(
        app=options.app,
        phones=[{"id": p.factor_id, "masked": p.masked} for p in options.phones],
        backup=options.backup,
        preferred=options.preferred,
    )


@router.post("/sign-in/two-step/send", response_model=SentOut)
async def second_step_send(body: SendIn, request: Request) -> SentOut:
    """Text or call a one-time code to one of the account's phones (by its id)."""
    sent_to = await second_step.send_phone_code(
        web_of(request).deps,
        site_of(request).code,
        body.partial_token,
        body.phone_id,
        body.channel,
        who(request),
    )
    return SentOut(sent_to=sent_to)


@router.post("/sign-in/two-step/contact", response_model=CaseOut, status_code=201)
async def contact_customer_service(body: CaseIn, request: Request) -> CaseOut:
    """Stuck at the second step: open a Customer Service case from the partial session."""
    number = await support.contact_from_second_step(
        web_of(request).deps,
        site_of(request).code,
        body.partial_token,
        body.message,
        who(request),
    )
    return CaseOut(case_number=number)


@router.post("/sign-out", status_code=204)
async def sign_out(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    await account_flow.sign_out(
        web_of(request).deps, site_of(request).code, _bearer(authorization), who(request)
    )
    return Response(status_code=204)


@router.post("/registrations", response_model=FlowOut, status_code=202)
async def register(body: RegisterIn, request: Request) -> FlowOut:
    """Same answer for new and taken identifiers; the code goes to the identifier."""
    started = await registration.start(
        web_of(request).deps,
        site_of(request).code,
        name=body.name,
        identifier=body.identifier,
        password=body.password,
        password_again=body.password_again,
        who=who(request),
    )
    return FlowOut(flow_id=started.flow_token, sent_to=started.sent_to)


@router.post("/registrations/verify", response_model=SessionOut)
async def register_verify(body: CodeIn, request: Request) -> SessionOut:
    done = await registration.verify(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        code=body.code,
        who=who(request),
        client="api",
    )
    return SessionOut(session_token=done.session_token, account_id=done.account_id)


@router.post("/registrations/resend", response_model=FlowOut)
async def register_resend(body: FlowIn, request: Request) -> FlowOut:
    sent_to = await codes.resend(
        web_of(request).deps,
        site_of(request).code,
        body.flow_id,
        FlowPurpose.REGISTRATION,
        who(request),
    )
    return FlowOut(flow_id=body.flow_id, sent_to=sent_to)


@router.get("/account", response_model=AccountOut)
async def get_account(me: Me) -> AccountOut:
    a = me.account
    return AccountOut(
        id=a.id,
        site=a.site,
        name=a.name,
        email=a.email,
        email_verified=a.email_verified,
        phone=a.phone,
        phone_verified=a.phone_verified,
        created_at=a.created_at,
    )


@router.put("/account/name", status_code=204)
async def put_name(body: NameIn, me: Me, request: Request) -> Response:
    await account_flow.change_name(web_of(request).deps, me, body.name, who(request))
    return Response(status_code=204)


@router.put("/account/password", status_code=204)
async def put_password(body: PasswordIn, me: Me, request: Request) -> Response:
    await account_flow.change_password(
        web_of(request).deps,
        me,
        current_password=body.current_password,
        new=body.password,
        new_again=body.password_again,
        who=who(request),
    )
    return Response(status_code=204)


@router.get("/account/devices", response_model=list[DeviceOut])
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


@router.delete("/account/devices/{device_id}", status_code=204)
async def end_device(device_id: str, me: Me, request: Request) -> Response:
    await account_flow.end_session(web_of(request).deps, me, device_id, who(request))
    return Response(status_code=204)


@router.post("/account/devices/sign-out-everywhere", response_model=Ended)
async def end_all(me: Me, request: Request) -> Ended:
    return Ended(ended=await account_flow.end_all_sessions(web_of(request).deps, me, who(request)))


@router.get("/account/activity", response_model=list[ActivityOut])
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


@router.get("/account/messages", response_model=list[MessageOut])
async def message_center(me: Me, request: Request) -> list[MessageOut]:
    found = await account_flow.messages(web_of(request).deps, me)
    return [
        MessageOut(
            id=m.id,
            channel=m.channel.value,
            kind=m.kind.value,
            to=mask("email" if m.channel == "email" else "phone", m.to),
            subject=m.subject,
            body=m.body,
            created_at=m.created_at,
            status=m.status.value,
        )
        for m in found
    ]


def reset_out(p: password_reset.Progress) -> ResetOut:
    return ResetOut(
        flow_id=p.flow_token,
        next=p.stage,
        choices=[
            ChoiceOut(
                index=c.index,
                kind=c.kind.value,
                masked=c.masked,
                channels=[ch.value for ch in c.channels],
            )
            for c in p.choices
        ],
        sent_to=p.sent_to,
        channel=p.channel,
        resend_after_seconds=p.wait_seconds,
    )


@router.post("/password-resets", response_model=ResetOut, status_code=202)
async def reset_start(body: ResetIn, request: Request) -> ResetOut:
    """Forgotten password, step one: the same kind of answer for known and unknown
    identifiers. ``next`` says what to send next: ``choose`` or ``code`` (the steps are in
    ``web/api/recovery.py``, shared with the unlock journey)."""
    progress = await password_reset.start(
        web_of(request).deps, site_of(request).code, identifier=body.identifier, who=who(request)
    )
    return reset_out(progress)


@router.post("/password-resets/complete", status_code=204)
async def reset_complete(body: NewPasswordIn, request: Request) -> Response:
    """Save the new password. Every session ends; sign in again afterwards."""
    await password_reset.complete(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        password=body.password,
        password_again=body.password_again,
        who=who(request),
    )
    return Response(status_code=204)


@router.post("/account/reauthenticate", status_code=204)
async def reauthenticate(body: PasswordConfirmIn, me: Me, request: Request) -> Response:
    """Confirm the password: two-step changes need one given in the last ten minutes."""
    await two_step.reauthenticate(web_of(request).deps, me, body.password, who(request))
    return Response(status_code=204)


@router.get("/account/two-step", response_model=TwoStepOut)
async def two_step_settings(me: Me, request: Request) -> TwoStepOut:
    info = await two_step.overview(web_of(request).deps, me)
    return TwoStepOut(
        enabled=info.enabled,
        methods=[{"id": m.id, "kind": m.kind, "label": m.label} for m in info.methods],
        backup_codes_left=info.backup_codes_left,
        preferred=info.preferred,
    )


@router.post("/account/two-step/apps", response_model=AppEnrolmentOut, status_code=201)
async def add_app(me: Me, request: Request) -> AppEnrolmentOut:
    """A new authenticator key; it counts once confirmed with a code from the app."""
    enrolment = await two_step.start_app(web_of(request).deps, me)
    return AppEnrolmentOut(
        factor_id=enrolment.factor_id, key=enrolment.key, otpauth_uri=enrolment.uri
    )


@router.post("/account/two-step/apps/verify", response_model=BackupCodesOut)
async def confirm_app(body: AppConfirmIn, me: Me, request: Request) -> BackupCodesOut:
    """Turning 2SV on answers with the first backup codes, shown this once."""
    fresh = await two_step.confirm_app(
        web_of(request).deps, me, body.factor_id, body.code, who(request)
    )
    return BackupCodesOut(backup_codes=fresh or [])


@router.post("/account/two-step/phones", response_model=FlowOut, status_code=202)
async def add_phone(body: PhoneIn, me: Me, request: Request) -> FlowOut:
    """A phone as a second step: a code goes to it first."""
    token, sent_to = await two_step.start_phone(
        web_of(request).deps, me, body.identifier, body.channel, who(request)
    )
    return FlowOut(flow_id=token, sent_to=sent_to)


@router.post("/account/two-step/phones/verify", response_model=BackupCodesOut)
async def confirm_phone(body: CodeIn, me: Me, request: Request) -> BackupCodesOut:
    fresh = await two_step.confirm_phone(
        web_of(request).deps, me, body.flow_id, body.code, who(request)
    )
    return BackupCodesOut(backup_codes=fresh or [])


@router.put("/account/two-step/preferred", status_code=204)
async def put_preferred(body: MethodIn, me: Me, request: Request) -> Response:
    await two_step.set_preferred(web_of(request).deps, me, body.method_id, who(request))
    return Response(status_code=204)


@router.delete("/account/two-step/methods/{factor_id}", status_code=204)
async def remove_method(factor_id: str, me: Me, request: Request) -> Response:
    """Remove an app or a phone; removing the last method turns 2SV off."""
    await two_step.remove_app(web_of(request).deps, me, factor_id, who(request))
    return Response(status_code=204)


@router.delete("/account/two-step/apps/{factor_id}", status_code=204)
async def remove_app(factor_id: str, me: Me, request: Request) -> Response:
    await two_step.remove_app(web_of(request).deps, me, factor_id, who(request))
    return Response(status_code=204)


@router.post("/account/two-step/backup-codes", response_model=BackupCodesOut)
async def replace_backup_codes(me: Me, request: Request) -> BackupCodesOut:
    fresh = await two_step.new_backup_codes(web_of(request).deps, me, who(request))
    return BackupCodesOut(backup_codes=fresh)


@router.post("/account/two-step/off", status_code=204)
async def two_step_off(me: Me, request: Request) -> Response:
    await two_step.turn_off(web_of(request).deps, me, who(request))
    return Response(status_code=204)


# Last: these paths would otherwise swallow every /account/<word> registered after them.
@router.post("/account/{kind}", response_model=FlowOut, status_code=202)
async def start_contact(
    kind: Literal["email", "phone"], body: ContactIn, me: Me, request: Request
) -> FlowOut:
    """Send a code to a new email or phone; it replaces the old one once confirmed."""
    started = await account_flow.start_contact_change(
        web_of(request).deps, me, IdentifierKind(kind), body.identifier, who(request)
    )
    return FlowOut(flow_id=started.flow_token, sent_to=started.sent_to)


@router.post("/account/{kind}/verify", status_code=204)
async def confirm_contact(
    kind: Literal["email", "phone"], body: CodeIn, me: Me, request: Request
) -> Response:
    await account_flow.confirm_contact_change(
        web_of(request).deps, me, IdentifierKind(kind), body.flow_id, body.code, who(request)
    )
    return Response(status_code=204)
