"""Repositories: one per table, every query scoped by site, none of them commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from entryway.adapters.sql.tables import (
    accounts,
    audit_log,
    failure_counters,
    flow_states,
    messages,
    sessions,
)
from entryway.core.events import (
    AccountStatus,
    AuditAction,
    Channel,
    FlowPurpose,
    MessageKind,
    MessageStatus,
)
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.sessions import SessionLevel
from entryway.core.throttle import FailureScope
from entryway.errors import Conflict
from entryway.flows.common import MAX_CODE_TRIES
from entryway.flows.ports import Account, AuditEntry, FlowState, Message, Session


class _Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn


class AccountRepo(_Repo):
    async def add(self, account: Account) -> None:
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(accounts).values(
                        id=account.id,
                        site=account.site,
                        name=account.name,
                        email=account.email,
                        phone=account.phone,
                        password_hash=account.password_hash,
                        status=account.status.value,
                        email_verified=account.email_verified,
                        phone_verified=account.phone_verified,
                        created_at=account.created_at,
                        password_changed_at=account.password_changed_at,
                    )
                )
        except IntegrityError as exc:
            raise Conflict("identifier already registered on this site") from exc

    async def get(self, site: str, account_id: str) -> Account | None:
        row = (
            (
                await self.conn.execute(
                    select(accounts).where(accounts.c.site == site, accounts.c.id == account_id)
                )
            )
            .mappings()
            .first()
        )
        return _account(row) if row else None

    async def find(self, site: str, ident: Identifier) -> Account | None:
        column = accounts.c.email if ident.kind == IdentifierKind.EMAIL else accounts.c.phone
        row = (
            (
                await self.conn.execute(
                    select(accounts).where(accounts.c.site == site, column == ident.value)
                )
            )
            .mappings()
            .first()
        )
        return _account(row) if row else None

    async def update(self, site: str, account_id: str, **values: Any) -> None:
        if "status" in values:
            values["status"] = AccountStatus(values["status"]).value
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    update(accounts)
                    .where(accounts.c.site == site, accounts.c.id == account_id)
                    .values(**values)
                )
        except IntegrityError as exc:
            raise Conflict("identifier already registered on this site") from exc


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        site=row["site"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        password_hash=row["password_hash"],
        status=AccountStatus(row["status"]),
        created_at=row["created_at"],
        email_verified=row["email_verified"],
        phone_verified=row["phone_verified"],
        password_changed_at=row["password_changed_at"],
    )


class SessionRepo(_Repo):
    async def add(self, session: Session) -> None:
        await self.conn.execute(
            insert(sessions).values(
                id_hash=session.id_hash,
                public_id=session.public_id,
                site=session.site,
                account_id=session.account_id,
                level=session.level.value,
                created_at=session.created_at,
                idle_deadline=session.idle_deadline,
                absolute_deadline=session.absolute_deadline,
                remember=session.remember,
                ip=session.ip,
                user_agent=session.user_agent,
                client=session.client,
                last_seen_at=session.last_seen_at,
            )
        )

    async def get(self, site: str, id_hash: str) -> Session | None:
        row = (
            (
                await self.conn.execute(
                    select(sessions).where(sessions.c.id_hash == id_hash, sessions.c.site == site)
                )
            )
            .mappings()
            .first()
        )
        return _session(row) if row else None

    async def touch(self, site: str, id_hash: str, now: datetime, idle: datetime) -> None:
        await self.conn.execute(
            update(sessions)
            .where(sessions.c.id_hash == id_hash, sessions.c.site == site)
            .values(last_seen_at=now, idle_deadline=idle)
        )

    async def list_for(self, site: str, account_id: str, now: datetime) -> list[Session]:
        rows = (
            (
                await self.conn.execute(
                    select(sessions)
                    .where(
                        sessions.c.site == site,
                        sessions.c.account_id == account_id,
                        sessions.c.idle_deadline > now,
                        sessions.c.absolute_deadline > now,
                    )
                    .order_by(sessions.c.last_seen_at.desc())
                )
            )
            .mappings()
            .all()
        )
        return [_session(r) for r in rows]

    async def delete(self, site: str, id_hash: str) -> bool:
        result = await self.conn.execute(
            delete(sessions).where(sessions.c.id_hash == id_hash, sessions.c.site == site)
        )
        return result.rowcount == 1

    async def delete_public(self, site: str, account_id: str, public_id: str) -> bool:
        result = await self.conn.execute(
            delete(sessions).where(
                sessions.c.site == site,
                sessions.c.account_id == account_id,
                sessions.c.public_id == public_id,
            )
        )
        return result.rowcount == 1

    async def delete_all(self, site: str, account_id: str, *, keep: str | None = None) -> int:
        query = delete(sessions).where(sessions.c.site == site, sessions.c.account_id == account_id)
        if keep is not None:
            query = query.where(sessions.c.id_hash != keep)
        return (await self.conn.execute(query)).rowcount


def _session(row: Any) -> Session:
    return Session(
        id_hash=row["id_hash"],
        public_id=row["public_id"],
        site=row["site"],
        account_id=row["account_id"],
        level=SessionLevel(row["level"]),
        created_at=row["created_at"],
        idle_deadline=row["idle_deadline"],
        absolute_deadline=row["absolute_deadline"],
        remember=row["remember"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        client=row["client"],
        last_seen_at=row["last_seen_at"],
    )


class FlowRepo(_Repo):
    async def add(self, state: FlowState) -> None:
        await self.conn.execute(
            insert(flow_states).values(
                id_hash=state.id_hash,
                site=state.site,
                purpose=state.purpose.value,
                account_id=state.account_id,
                target_kind=state.target_kind,
                target=state.target,
                code_hash=state.code_hash,
                code_expires_at=state.code_expires_at,
                code_attempts=state.code_attempts,
                sends=state.sends,
                created_at=state.created_at,
                expires_at=state.expires_at,
                consumed_at=state.consumed_at,
            )
        )

    async def get(self, site: str, id_hash: str, purpose: FlowPurpose) -> FlowState | None:
        row = (
            (
                await self.conn.execute(
                    select(flow_states).where(
                        flow_states.c.id_hash == id_hash,
                        flow_states.c.site == site,
                        flow_states.c.purpose == purpose.value,
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return FlowState(
            id_hash=row["id_hash"],
            site=row["site"],
            purpose=FlowPurpose(row["purpose"]),
            account_id=row["account_id"],
            target_kind=row["target_kind"],
            target=row["target"],
            code_hash=row["code_hash"],
            code_expires_at=row["code_expires_at"],
            code_attempts=row["code_attempts"],
            sends=row["sends"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            consumed_at=row["consumed_at"],
        )

    async def count_failure(self, site: str, id_hash: str) -> None:
        await self.conn.execute(
            update(flow_states)
            .where(flow_states.c.id_hash == id_hash, flow_states.c.site == site)
            .values(code_attempts=flow_states.c.code_attempts + 1)
        )

    async def consume(self, site: str, id_hash: str, code_hash: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(flow_states)
            .where(
                flow_states.c.id_hash == id_hash,
                flow_states.c.site == site,
                flow_states.c.code_hash == code_hash,
                flow_states.c.consumed_at.is_(None),
                flow_states.c.code_expires_at > now,
                flow_states.c.code_attempts < MAX_CODE_TRIES,
            )
            .values(consumed_at=now)
        )
        return result.rowcount == 1

    async def replace_code(
        self, site: str, id_hash: str, code_hash: str, expires_at: datetime, max_sends: int
    ) -> bool:
        result = await self.conn.execute(
            update(flow_states)
            .where(
                flow_states.c.id_hash == id_hash,
                flow_states.c.site == site,
                flow_states.c.consumed_at.is_(None),
                flow_states.c.sends < max_sends,
            )
            .values(
                code_hash=code_hash,
                code_expires_at=expires_at,
                code_attempts=0,
                sends=flow_states.c.sends + 1,
            )
        )
        return result.rowcount == 1

    async def void_for(self, site: str, account_id: str, purpose: FlowPurpose) -> None:
        await self.conn.execute(
            delete(flow_states).where(
                flow_states.c.site == site,
                flow_states.c.account_id == account_id,
                flow_states.c.purpose == purpose.value,
            )
        )


class CounterRepo(_Repo):
    """Failure counters: one row per (site, scope, key, window), bumped by an upsert so
    parallel failures on any number of instances never lose a count."""

    async def hit(self, site: str, scope: FailureScope, key: str, window: datetime) -> int:
        maker = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        upsert = (
            maker(failure_counters)
            .values(site=site, scope=scope.value, key_hash=key, window_start=window, count=1)
            .on_conflict_do_update(
                index_elements=["site", "scope", "key_hash", "window_start"],
                set_={"count": failure_counters.c.count + 1},
            )
            .returning(failure_counters.c.count)
        )
        return int((await self.conn.execute(upsert)).scalar_one())

    async def count(self, site: str, scope: FailureScope, key: str, window: datetime) -> int:
        value = (
            await self.conn.execute(
                select(failure_counters.c.count).where(
                    failure_counters.c.site == site,
                    failure_counters.c.scope == scope.value,
                    failure_counters.c.key_hash == key,
                    failure_counters.c.window_start == window,
                )
            )
        ).scalar_one_or_none()
        return int(value or 0)

    async def reset(self, site: str, scope: FailureScope, key: str) -> None:
        await self.conn.execute(
            delete(failure_counters).where(
                failure_counters.c.site == site,
                failure_counters.c.scope == scope.value,
                failure_counters.c.key_hash == key,
            )
        )


class AuditRepo(_Repo):
    """Append-only: there is no update or delete here, by design."""

    async def add(self, entry: AuditEntry) -> None:
        await self.conn.execute(
            insert(audit_log).values(
                site=entry.site,
                account_id=entry.account_id,
                action=entry.action.value,
                at=entry.at,
                ip=entry.ip,
                user_agent=entry.user_agent,
                detail=entry.detail,
            )
        )

    async def recent(self, site: str, account_id: str, limit: int = 20) -> list[AuditEntry]:
        rows = (
            (
                await self.conn.execute(
                    select(audit_log)
                    .where(
                        audit_log.c.site == site,
                        audit_log.c.account_id == account_id,
                    )
                    .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
                    .limit(limit)
                )
            )
            .mappings()
            .all()
        )
        return [
            AuditEntry(
                site=r["site"],
                account_id=r["account_id"],
                action=AuditAction(r["action"]),
                at=r["at"],
                ip=r["ip"],
                user_agent=r["user_agent"],
                detail=r["detail"],
                id=r["id"],
            )
            for r in rows
        ]


class OutboxRepo(_Repo):
    async def add(self, message: Message) -> bool:
        values = dict(
            id=message.id,
            site=message.site,
            account_id=message.account_id,
            channel=message.channel.value,
            kind=message.kind.value,
            to_address=message.to,
            subject=message.subject,
            body=message.body,
            created_at=message.created_at,
            status=message.status.value,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            sent_at=message.sent_at,
            last_error=message.last_error,
            dedupe_key=message.dedupe_key,
        )
        if message.dedupe_key is None:
            await self.conn.execute(insert(messages).values(**values))
            return True
        dialect = self.conn.dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        query = (
            maker(messages).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return (await self.conn.execute(query)).rowcount == 1

    async def for_account(self, site: str, account_id: str, limit: int = 50) -> list[Message]:
        rows = (
            (
                await self.conn.execute(
                    select(messages)
                    .where(
                        messages.c.site == site,
                        messages.c.account_id == account_id,
                    )
                    .order_by(messages.c.created_at.desc(), messages.c.id)
                    .limit(limit)
                )
            )
            .mappings()
            .all()
        )
        return [_message(r) for r in rows]

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Message]:
        due = (
            (
                await self.conn.execute(
                    select(messages.c.id)
                    .where(
                        messages.c.status == MessageStatus.PENDING.value,
                        messages.c.next_attempt_at <= now,
                        or_(messages.c.lease_until.is_(None), messages.c.lease_until < now),
                    )
                    .order_by(messages.c.next_attempt_at)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        claimed: list[Message] = []
        for message_id in due:
            result = await self.conn.execute(
                update(messages)
                .where(
                    messages.c.id == message_id,
                    messages.c.status == MessageStatus.PENDING.value,
                    or_(messages.c.lease_until.is_(None), messages.c.lease_until < now),
                )
                .values(lease_until=lease_until)
            )
            if result.rowcount == 1:
                row = (
                    (await self.conn.execute(select(messages).where(messages.c.id == message_id)))
                    .mappings()
                    .one()
                )
                claimed.append(_message(row))
        return claimed

    async def mark_sent(self, message_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(messages)
            .where(messages.c.id == message_id)
            .values(
                status=MessageStatus.SENT.value,
                sent_at=now,
                lease_until=None,
                attempts=messages.c.attempts + 1,
            )
        )

    async def mark_retry(
        self, message_id: str, attempts: int, next_at: datetime, error: str, give_up: bool
    ) -> None:
        await self.conn.execute(
            update(messages)
            .where(messages.c.id == message_id)
            .values(
                status=(MessageStatus.FAILED if give_up else MessageStatus.PENDING).value,
                attempts=attempts,
                next_attempt_at=next_at,
                last_error=error,
                lease_until=None,
            )
        )

    async def latest(self, limit: int = 200) -> list[Message]:
        rows = (
            (
                await self.conn.execute(
                    select(messages)
                    .order_by(messages.c.created_at.desc(), messages.c.id)
                    .limit(limit)
                )
            )
            .mappings()
            .all()
        )
        return [_message(r) for r in rows]

    async def count(self, **where: Any) -> int:
        """How many messages match the given column values (tests and metrics)."""
        query = (
            select(func.count())
            .select_from(messages)
            .where(and_(*(messages.c[k] == v for k, v in where.items())))
        )
        return int((await self.conn.execute(query)).scalar_one())


def _message(row: Any) -> Message:
    return Message(
        id=row["id"],
        site=row["site"],
        account_id=row["account_id"],
        channel=Channel(row["channel"]),
        kind=MessageKind(row["kind"]),
        to=row["to_address"],
        subject=row["subject"],
        body=row["body"],
        created_at=row["created_at"],
        status=MessageStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        sent_at=row["sent_at"],
        last_error=row["last_error"],
        dedupe_key=row["dedupe_key"],
    )
