"""Accounts, sessions and flow states. Every query is scoped by site; none commits."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql import tables as t
from entryway.adapters.sql.prepared import Prepared, insert_of
from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import accounts, flow_states, known_devices, sessions
from entryway.core.events import AccountStatus, FlowPurpose
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.sessions import SessionLevel
from entryway.errors import Conflict
from entryway.flows.common import MAX_CODE_TRIES
from entryway.flows.ports import Account, FlowState, Session

# Hot-path statements are built once: building one costs more than SQLite running it.
_SITE = accounts.c.site == bindparam("b_site")
_ACCOUNT_BY = {
    "id": Prepared(select(accounts).where(_SITE, accounts.c.id == bindparam("b_value"))),
    IdentifierKind.EMAIL: Prepared(
        select(accounts).where(_SITE, accounts.c.email == bindparam("b_value"))
    ),
    IdentifierKind.PHONE: Prepared(
        select(accounts).where(_SITE, accounts.c.phone == bindparam("b_value"))
    ),
}
# Sign-in reads the account and whether this device is recognised in one statement.
_KNOWN = (
    exists()
    .where(
        known_devices.c.site == accounts.c.site,
        known_devices.c.account_id == accounts.c.id,
        known_devices.c.device_hash == bindparam("b_device"),
        known_devices.c.first_seen_at > bindparam("b_cutoff"),
    )
    .label("known")
)
_SIGN_IN_BY = {
    kind: Prepared(select(accounts, _KNOWN).where(_SITE, column == bindparam("b_value")))
    for kind, column in (
        (IdentifierKind.EMAIL, accounts.c.email),
        (IdentifierKind.PHONE, accounts.c.phone),
    )
}
# What an erased account leaves that no foreign key removes with it. Two append-only
# records are not among them (DESIGN.md 8): the audit log, whose rows name the account by
# its random id only, and support cases, whose threads record what our staff did and why;
# the cases are unlinked from the account (ON DELETE SET NULL).
_ERASED_WITH_ACCOUNT = (
    t.passkeys,
    t.passkey_challenges,
    t.oidc_consents,
    t.oidc_grants,  # their tokens go with them
    t.messages,
)
_REMEMBER: dict[str, Prepared] = {}
_SESSION_KEY = (
    sessions.c.id_hash == bindparam("b_id_hash"),
    sessions.c.site == bindparam("b_site"),
)
_SESSION_GET = select(sessions).where(*_SESSION_KEY)
# A session check reads the session and its account in one indexed statement: the session
# by its primary key, the account by its own, joined on the same site.
# Its columns come in the order of Session's fields, then Account's, so the row builds both
# by position (by name, through dicts and keywords, it cost ten times as much).
_ACCOUNT_PREFIX = "acct__"
_SESSION_FIELDS = tuple(f.name for f in fields(Session))
_ACCOUNT_FIELDS = tuple(f.name for f in fields(Account))
if set(_SESSION_FIELDS) != set(sessions.c.keys()) or set(_ACCOUNT_FIELDS) != set(accounts.c.keys()):
    raise TypeError("Session and Account must have a field for each column, and no other")
_LEVEL_AT = _SESSION_FIELDS.index("level")
_STATUS_AT = len(_SESSION_FIELDS) + _ACCOUNT_FIELDS.index("status")
_SESSION_WITH_ACCOUNT = Prepared(
    select(
        *(sessions.c[name] for name in _SESSION_FIELDS),
        *(accounts.c[name].label(_ACCOUNT_PREFIX + name) for name in _ACCOUNT_FIELDS),
    )
    .join(accounts, (accounts.c.id == sessions.c.account_id) & (accounts.c.site == sessions.c.site))
    .where(*_SESSION_KEY)
)
_INSERT_SESSION = insert_of(sessions, tuple(f.name for f in fields(Session)))
_SESSION_TOUCH = (
    update(sessions)
    .where(*_SESSION_KEY, sessions.c.idle_deadline < bindparam("b_idle"))  # never back
    .values(last_seen_at=bindparam("b_now"), idle_deadline=bindparam("b_idle"))
)


class AccountRepo(Repo):
    async def add(self, account: Account) -> None:
        await self._guarded(insert(accounts).values(**values_of(account)))

    async def get(self, site: str, account_id: str) -> Account | None:
        return await self._one("id", site, account_id)

    async def find(self, site: str, ident: Identifier) -> Account | None:
        return await self._one(ident.kind, site, ident.value)

    async def find_for_sign_in(
        self, site: str, ident: Identifier, device_hash: str, known_since: datetime
    ) -> tuple[Account | None, bool]:
        params = {
            "b_site": site,
            "b_value": ident.value,
            "b_device": device_hash,
            "b_cutoff": known_since,
        }
        row = await self.conn.first(_SIGN_IN_BY[ident.kind], params)
        if row is None:
            return None, False
        data = {k: v for k, v in row.items() if k != "known"}
        return load(Account, data, convert={"status": AccountStatus}), bool(row["known"])

    async def remember_device(
        self, site: str, account_id: str, device_hash: str, now: datetime
    ) -> None:
        params = {"b_site": site, "b_account": account_id, "b_device": device_hash, "b_at": now}
        await self.conn.run(self._remember_statement(), params)

    def _remember_statement(self) -> Prepared:
        """The upsert, built once per dialect: every sign-in from a browser runs it."""
        dialect = self.conn.dialect.name
        found = _REMEMBER.get(dialect)
        if found is None:
            c = known_devices.c
            at = bindparam("b_at", type_=c.first_seen_at.type)
            found = _REMEMBER[dialect] = Prepared(
                self.upsert_dialect()(known_devices)
                .values(
                    site=bindparam("b_site", type_=c.site.type),
                    account_id=bindparam("b_account", type_=c.account_id.type),
                    device_hash=bindparam("b_device", type_=c.device_hash.type),
                    first_seen_at=at,
                )
                .on_conflict_do_update(
                    index_elements=["site", "account_id", "device_hash"],
                    set_={"first_seen_at": at},
                )
            )
        return found

    async def knows_device(
        self, site: str, account_id: str, device_hash: str, known_since: datetime
    ) -> bool:
        query = select(known_devices.c.first_seen_at).where(
            known_devices.c.site == site,
            known_devices.c.account_id == account_id,
            known_devices.c.device_hash == device_hash,
            known_devices.c.first_seen_at > known_since,
        )
        return (await self.conn.execute(query)).first() is not None

    async def forget_devices(self, site: str, account_id: str) -> None:
        await self.conn.execute(
            delete(known_devices).where(
                known_devices.c.site == site, known_devices.c.account_id == account_id
            )
        )

    async def update(self, site: str, account_id: str, **values: Any) -> None:
        await self._guarded(
            update(accounts)
            .where(accounts.c.site == site, accounts.c.id == account_id)
            .values(**values)
        )

    async def delete_unverified(self, site: str, account_id: str) -> bool:
        result = await self.conn.execute(
            delete(accounts).where(
                accounts.c.site == site,
                accounts.c.id == account_id,
                accounts.c.status == AccountStatus.UNVERIFIED.value,
            )
        )
        return bool(result.rowcount == 1)

    async def close(self, site: str, account_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(accounts)
            .where(
                accounts.c.site == site,
                accounts.c.id == account_id,
                accounts.c.status == AccountStatus.ACTIVE.value,
            )
            .values(status=AccountStatus.CLOSED.value, closed_at=now)
        )
        return bool(result.rowcount == 1)

    async def reopen(self, site: str, account_id: str, closed_at: datetime) -> bool:
        result = await self.conn.execute(
            update(accounts)
            .where(
                accounts.c.site == site,
                accounts.c.id == account_id,
                accounts.c.status == AccountStatus.CLOSED.value,
                accounts.c.closed_at == closed_at,
            )
            .values(status=AccountStatus.ACTIVE.value, closed_at=None)
        )
        return bool(result.rowcount == 1)

    async def closed_before(self, cutoff: datetime, limit: int) -> list[tuple[str, str]]:
        query = (
            select(accounts.c.site, accounts.c.id)
            .where(accounts.c.closed_at < cutoff, accounts.c.status == AccountStatus.CLOSED.value)
            .order_by(accounts.c.closed_at)
            .limit(limit)
        )
        return [(row.site, row.id) for row in await self.conn.execute(query)]

    async def erase(self, site: str, account_id: str, cutoff: datetime) -> bool:
        mine = (accounts.c.site == site, accounts.c.id == account_id)
        due = (accounts.c.status == AccountStatus.CLOSED.value, accounts.c.closed_at < cutoff)
        # The row is held first, so a reopening at the same moment either wins (and nothing
        # is erased) or waits and then finds the account gone.
        held = await self.conn.execute(select(accounts.c.id).where(*mine, *due).with_for_update())
        if held.first() is None:
            return False
        for table in _ERASED_WITH_ACCOUNT:  # the rows that name the account without a key
            await self.conn.execute(
                delete(table).where(table.c.site == site, table.c.account_id == account_id)
            )
        # The rest goes with the row (ON DELETE CASCADE): sessions, flows, links, locks,
        # devices, methods, answers, browsers, recoveries, suspensions and their appeals;
        # its support cases are unlinked (SET NULL).
        result = await self.conn.execute(delete(accounts).where(*mine, *due))
        return bool(result.rowcount == 1)

    async def _one(self, by: str, site: str, value: str) -> Account | None:
        params = {"b_site": site, "b_value": value}
        row = await self.conn.first(_ACCOUNT_BY[by], params)
        return load(Account, row, convert={"status": AccountStatus}) if row else None

    async def _guarded(self, statement: Any) -> None:
        """Run in a savepoint, so a taken email or phone leaves the transaction usable."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(statement)
        except IntegrityError as exc:
            raise Conflict("identifier already registered on this site") from exc


def _session(row: Any) -> Session:
    return load(Session, row, convert={"level": SessionLevel})


class SessionRepo(Repo):
    async def add(self, session: Session) -> None:
        await self.conn.run(_INSERT_SESSION, values_of(session))

    async def get(self, site: str, id_hash: str) -> Session | None:
        params = {"b_id_hash": id_hash, "b_site": site}
        row = (await self.conn.execute(_SESSION_GET, params)).mappings().first()
        return _session(row) if row else None

    async def with_account(self, site: str, id_hash: str) -> tuple[Session, Account] | None:
        params = {"b_id_hash": id_hash, "b_site": site}
        row = await self.conn.first(_SESSION_WITH_ACCOUNT, params)
        if row is None:
            return None
        values = list(row.values())
        values[_LEVEL_AT] = SessionLevel(values[_LEVEL_AT])
        values[_STATUS_AT] = AccountStatus(values[_STATUS_AT])
        cut = len(_SESSION_FIELDS)
        return Session(*values[:cut]), Account(*values[cut:])

    async def touch(self, site: str, id_hash: str, now: datetime, idle: datetime) -> None:
        params = {"b_id_hash": id_hash, "b_site": site, "b_now": now, "b_idle": idle}
        await self.conn.execute(_SESSION_TOUCH, params)

    async def reauthenticated(self, site: str, id_hash: str, now: datetime) -> None:
        await self.conn.execute(
            update(sessions)
            .where(sessions.c.id_hash == id_hash, sessions.c.site == site)
            .values(auth_at=now)
        )

    async def list_for(self, site: str, account_id: str, now: datetime) -> list[Session]:
        query = (
            select(sessions)
            .where(
                sessions.c.site == site,
                sessions.c.account_id == account_id,
                sessions.c.level == SessionLevel.FULL.value,  # not half-finished sign-ins
                sessions.c.idle_deadline > now,
                sessions.c.absolute_deadline > now,
            )
            .order_by(sessions.c.last_seen_at.desc())
        )
        return [_session(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def partial_since(self, site: str, account_id: str, since: datetime) -> list[Session]:
        query = select(sessions).where(
            sessions.c.site == site,
            sessions.c.account_id == account_id,
            sessions.c.level == SessionLevel.PARTIAL.value,
            sessions.c.created_at >= since,
        )
        return [_session(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def delete(self, site: str, id_hash: str) -> bool:
        return await self._delete(sessions.c.id_hash == id_hash, site=site) == 1

    async def delete_public(self, site: str, account_id: str, public_id: str) -> bool:
        mine = (sessions.c.account_id == account_id) & (sessions.c.public_id == public_id)
        return await self._delete(mine, site=site) == 1

    async def delete_all(self, site: str, account_id: str, *, keep: str | None = None) -> int:
        condition = sessions.c.account_id == account_id
        if keep is not None:
            condition = condition & (sessions.c.id_hash != keep)
        return await self._delete(condition, site=site)

    async def take_public_id(self, site: str, id_hash: str, public_id: str) -> bool:
        result = await self.conn.execute(
            update(sessions)
            .where(sessions.c.site == site, sessions.c.id_hash == id_hash)
            .values(public_id=public_id)
        )
        return bool(result.rowcount == 1)

    async def _delete(self, condition: Any, *, site: str) -> int:
        result = await self.conn.execute(delete(sessions).where(sessions.c.site == site, condition))
        return int(result.rowcount)


class FlowRepo(Repo):
    async def add(self, state: FlowState) -> None:
        await self.conn.execute(insert(flow_states).values(**values_of(state)))

    async def get(self, site: str, id_hash: str, purpose: FlowPurpose) -> FlowState | None:
        query = select(flow_states).where(
            flow_states.c.id_hash == id_hash,
            flow_states.c.site == site,
            flow_states.c.purpose == purpose.value,
        )
        row = (await self.conn.execute(query)).mappings().first()
        return load(FlowState, row, convert={"purpose": FlowPurpose}) if row else None

    async def take_try(self, site: str, id_hash: str, now: datetime) -> str | None:
        statement = (
            update(flow_states)
            .where(
                flow_states.c.id_hash == id_hash,
                flow_states.c.site == site,
                flow_states.c.consumed_at.is_(None),
                flow_states.c.code_expires_at > now,
                flow_states.c.code_attempts < MAX_CODE_TRIES,
            )
            .values(code_attempts=flow_states.c.code_attempts + 1)
            .returning(flow_states.c.code_hash)
        )
        return (await self.conn.execute(statement)).scalar_one_or_none()  # type: ignore[no-any-return]

    async def consume(
        self, site: str, id_hash: str, code_hash: str, now: datetime, next_stage: str = "done"
    ) -> bool:
        return await self._update(
            site,
            id_hash,
            flow_states.c.code_hash == code_hash,
            flow_states.c.consumed_at.is_(None),
            flow_states.c.code_expires_at > now,
            consumed_at=now,
            stage=next_stage,
        )

    async def replace_code(
        self, site: str, id_hash: str, code_hash: str, expires_at: datetime, max_sends: int
    ) -> bool:
        return await self._update(
            site,
            id_hash,
            flow_states.c.consumed_at.is_(None),
            flow_states.c.sends < max_sends,
            code_hash=code_hash,
            code_expires_at=expires_at,
            code_attempts=0,
            sends=flow_states.c.sends + 1,
        )

    async def void_for(self, site: str, account_id: str, purpose: FlowPurpose) -> None:
        await self.conn.execute(
            delete(flow_states).where(
                flow_states.c.site == site,
                flow_states.c.account_id == account_id,
                flow_states.c.purpose == purpose.value,
            )
        )

    async def void_all(self, site: str, account_id: str, *, keep: str) -> None:
        await self.conn.execute(
            delete(flow_states).where(
                flow_states.c.site == site,
                flow_states.c.account_id == account_id,
                flow_states.c.id_hash != keep,
            )
        )

    async def advance(
        self, site: str, id_hash: str, from_stage: str, to_stage: str, **values: Any
    ) -> bool:
        return await self._update(
            site, id_hash, flow_states.c.stage == from_stage, stage=to_stage, **values
        )

    async def _update(self, site: str, id_hash: str, *conditions: Any, **values: Any) -> bool:
        """A conditional write on one flow state: true when it matched (house rule 5)."""
        result = await self.conn.execute(
            update(flow_states)
            .where(flow_states.c.id_hash == id_hash, flow_states.c.site == site, *conditions)
            .values(**values)
        )
        return bool(result.rowcount == 1)
