"""The account's passkeys as Login & security shows them: listed, and removed."""

from __future__ import annotations

from entryway.core.events import AuditAction, MessageKind
from entryway.core.locales import N_
from entryway.core.passkeys import WaysIn, may_remove_passkey
from entryway.errors import Forbidden, NotFound
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.passkeys.records import Passkey
from entryway.flows.ports import Deps, Requester

LAST_WAY_IN = N_("This passkey is your only way to sign in, so it can't be removed.")


async def mine(deps: Deps, me: Current) -> list[Passkey]:
    async with deps.uow() as uow:
        return await uow.passkeys.for_account(me.account.site, me.account.id)


async def remove(deps: Deps, me: Current, credential_id: str, who: Requester) -> Passkey:
    """Remove one of the account's passkeys (a password given in the last ten minutes), never
    its last way in."""
    require_recent(deps, me)
    account = me.account
    async with deps.uow() as uow:
        found = await uow.passkeys.for_account(account.site, account.id)
        gone = next((p for p in found if p.credential_id == credential_id), None)
        if gone is None:
            raise NotFound("That passkey is already removed.")
        ways = WaysIn(
            has_password=bool(account.password_hash),
            passkeys=len(found),
            verified_contacts=int(account.email_verified) + int(account.phone_verified),
        )
        if not may_remove_passkey(ways):
            raise Forbidden(LAST_WAY_IN)
        if not await uow.passkeys.remove(account.site, account.id, credential_id):
            raise NotFound("That passkey is already removed.")
        await audit(
            deps, uow, account.site, account.id, AuditAction.PASSKEY_REMOVED, who,
            passkey=gone.name,
        )  # fmt: skip
        await notify_all_of(
            deps, uow, deps.site(account.site), account, MessageKind.PASSKEY_CHANGED,
            "passkey_changed", who=who, change="removed", passkey=gone.name,
        )  # fmt: skip
        await uow.commit()
    deps.on_message()
    return gone
