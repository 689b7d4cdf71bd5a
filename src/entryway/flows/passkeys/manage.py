"""The account's passkeys as Login & security shows them: listed, and removed."""

from __future__ import annotations

from entryway.core.events import AuditAction, MessageKind
from entryway.core.locales import N_
from entryway.core.passkeys import WaysIn, clean_name, may_remove_passkey
from entryway.errors import Forbidden, InvalidInput, NotFound
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.passkeys.records import Passkey
from entryway.flows.ports import Deps, Requester

LAST_WAY_IN = N_("This passkey is your only way to sign in, so it can't be removed.")
GONE = N_("That passkey is already removed.")
NAME_NEEDED = N_("Enter a name for this passkey.")


async def mine(deps: Deps, me: Current) -> list[Passkey]:
    async with deps.uow() as uow:
        return await uow.passkeys.for_account(me.account.site, me.account.id)


async def one(deps: Deps, me: Current, credential_id: str) -> Passkey:
    """One of the account's passkeys, or NotFound (another account's is not found either)."""
    found = next((p for p in await mine(deps, me) if p.credential_id == credential_id), None)
    if found is None:
        raise NotFound(GONE)
    return found


async def rename(deps: Deps, me: Current, credential_id: str, name: str, who: Requester) -> Passkey:
    """Call one of the account's passkeys something else ("Work laptop"). Audited; no
    reauthentication, since a name changes nothing of what signs in."""
    cleaned = clean_name(name, "")
    if not cleaned:
        raise InvalidInput(NAME_NEEDED, field="name")
    account = me.account
    async with deps.uow() as uow:
        found = next(
            (
                p
                for p in await uow.passkeys.for_account(account.site, account.id)
                if p.credential_id == credential_id
            ),
            None,
        )
        if found is None or not await uow.passkeys.rename(
            account.site, account.id, credential_id, cleaned
        ):
            raise NotFound(GONE)
        await audit(
            deps, uow, account.site, account.id, AuditAction.PASSKEY_RENAMED, who,
            was=found.name, passkey=cleaned,
        )  # fmt: skip
        await uow.commit()
    found.name = cleaned
    return found


async def remove(deps: Deps, me: Current, credential_id: str, who: Requester) -> Passkey:
    """Remove one of the account's passkeys (a password given in the last ten minutes), never
    its last way in."""
    require_recent(deps, me)
    account = me.account
    async with deps.uow() as uow:
        found = await uow.passkeys.for_account(account.site, account.id)
        gone = next((p for p in found if p.credential_id == credential_id), None)
        if gone is None:
            raise NotFound(GONE)
        ways = WaysIn(
            has_password=bool(account.password_hash),
            passkeys=len(found),
            verified_contacts=int(account.email_verified) + int(account.phone_verified),
        )
        if not may_remove_passkey(ways):
            raise Forbidden(LAST_WAY_IN)
        if not await uow.passkeys.remove(account.site, account.id, credential_id):
            raise NotFound(GONE)
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
