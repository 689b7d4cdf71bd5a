"""A passkey as the second step: after the right password, an account with two-step
verification on may prove one of its own passkeys instead of typing a code.

The challenge lists the account's passkeys (the browser offers only those) and is bound to
the partial session: it answers nowhere else. Whoever is here knew the password, so every
failure counts like a wrong code (toward the account's lock, SECURITY.md 19), signed or not;
the passing tail is the second step's own (``signin.second_step.complete``)."""

from __future__ import annotations

from entryway.core.locales import N_
from entryway.core.observe import SignInMethod
from entryway.core.passkeys import site_party
from entryway.errors import CodeRejected, FlowExpired, InvalidInput
from entryway.flows.observe.counting import counts
from entryway.flows.passkeys import assertions, ceremonies
from entryway.flows.passkeys.ceremonies import NOT_CHECKED, Begun
from entryway.flows.passkeys.records import Ceremony, Passkey
from entryway.flows.ports import Deps, Requester
from entryway.flows.recovery.pending import hold
from entryway.flows.signin import second_step
from entryway.flows.signin.lockout import Admitted
from entryway.flows.signin.second_step import Passed

AMR = "pwd hwk user"  # the password, then a key held that verified its holder (RFC 8176)
NONE_YET = N_("You have no passkey for this account. Choose another way.")


async def begin(deps: Deps, site_code: str, partial: str | None) -> Begun:
    """Options asking for one of the partial session's account's passkeys."""
    me = await second_step.pending(deps, site_code, partial)
    site = deps.site(site_code)
    async with deps.uow() as uow:
        mine = await uow.passkeys.for_account(site.code, me.account.id)
        if not mine:
            raise InvalidInput(NONE_YET, field="credential")
        token, raw = await ceremonies.new_challenge(
            deps, uow, site.code, Ceremony.SECOND_STEP, me.account.id, me.session.id_hash
        )
        await uow.commit()
    return Begun(token=token, options=ceremonies.request_options(site_party(site), raw, mine))


@counts(SignInMethod.SECOND_STEP)
async def pass_with_passkey(
    deps: Deps,
    site_code: str,
    partial: str | None,
    *,
    token: str,
    credential: str,
    remember: bool,
    who: Requester,
    client: str = "web",
    remember_browser: bool = False,
) -> Passed:
    """Finish sign-in with one of the account's passkeys. CodeRejected when it fails, as a
    wrong code does (field ``credential``; ``code`` when the account is locked);
    FlowExpired when the challenge is spent, expired or another partial session's;
    Unauthenticated without a live partial session. Counted for the metrics as a second
    step."""
    me = await second_step.pending(deps, site_code, partial)
    site = deps.site(site_code)
    challenge = await ceremonies.take(
        deps, site.code, token, Ceremony.SECOND_STEP, me.session.id_hash
    )
    if challenge.account_id != me.account.id:
        raise FlowExpired(ceremonies.EXPIRED, field="credential")
    admitted = await second_step.admit(deps, me, who)
    try:  # counted from here on, even when it cannot be read
        found = ceremonies.parse_credential(credential)
    except InvalidInput:
        found = {"id": ""}
    async with deps.uow() as uow:
        passkey = await uow.passkeys.get(site.code, found["id"]) if found["id"] else None
    count = None
    if passkey is not None and passkey.account_id == me.account.id:
        try:  # the options listed this account's passkeys: the user handle may be left out
            count, cloned = assertions.verify_assertion(
                deps, site_party(site), challenge, passkey, found, handle_required=False
            )
        except InvalidInput:
            count = None
        else:
            if cloned:
                await assertions.turn_off_copied(deps, site, passkey, count, who)
                count = None
    try:
        return await _passed(
            deps, me, admitted, passkey, count, remember=remember, who=who, client=client,
            remember_browser=remember_browser,
        )  # fmt: skip
    except assertions.Copied as copied:  # a copy of the key presented the same count
        await assertions.turn_off_copied(deps, site, copied.passkey, copied.presented, who)
        raise CodeRejected(NOT_CHECKED, field="credential") from None


async def _passed(
    deps: Deps,
    me: second_step.Pending,
    admitted: Admitted,
    passkey: Passkey | None,
    count: int | None,
    *,
    remember: bool,
    who: Requester,
    client: str,
    remember_browser: bool,
) -> Passed:
    async with deps.uow() as uow:
        recovery = await hold(uow, me.account)
        if passkey is None or count is None:
            await second_step.count_wrong(deps, uow, me.account, who, admitted)
            await uow.commit()
            raise CodeRejected(NOT_CHECKED, field="credential")
        await assertions.record_use(uow, passkey, count, deps.clock.now())
        passed = await second_step.complete(
            deps, uow, me, admitted, recovery, amr=AMR, via="passkey", remember=remember,
            who=who, client=client, remember_browser=remember_browser,
        )  # fmt: skip
        await uow.commit()
    if passed.stopped_recovery:
        deps.on_message()
    return passed
