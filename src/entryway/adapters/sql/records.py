"""Append-style records: the audit log, failure counters and the outbox."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update

from entryway.adapters.sql.prepared import Prepared, insert_of
from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import audit_log, failure_counters, locks, messages
from entryway.core.events import AuditAction, Channel, MessageKind, MessageStatus
from entryway.core.throttle import ALL_SITES, FailureScope
from entryway.flows.ports import AuditEntry, Message, Reading

_INSERT_AUDIT = insert_of(audit_log, tuple(f.name for f in fields(AuditEntry) if f.name != "id"))
_RESET_COUNTER = Prepared(
    delete(failure_counters).where(
        failure_counters.c.site == bindparam("b_site"),
        failure_counters.c.scope == bindparam("b_scope"),
        failure_counters.c.key_hash == bindparam("b_key"),
    )
)


class AuditRepo(Repo):
    """Append-only: no update or delete here, and the database refuses them too."""

    async def add(self, entry: AuditEntry) -> None:
        values = values_of(entry)
        del values["id"]  # assigned by the database
        await self.conn.run(_INSERT_AUDIT, values)

    async def recent(self, site: str, account_id: str, limit: int = 20) -> list[AuditEntry]:
        query = (
            select(audit_log)
            .where(audit_log.c.site == site, audit_log.c.account_id == account_id)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(limit)
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(AuditEntry, r, convert={"action": AuditAction}) for r in rows]


def _count_of(scope: Any, key: str, window: str, site: Any = None) -> Any:
    return (
        select(failure_counters.c.count)
        .where(
            failure_counters.c.site == (bindparam("b_site") if site is None else site),
            failure_counters.c.scope == scope,
            failure_counters.c.key_hash == bindparam(key),
            failure_counters.c.window_start == bindparam(window),
        )
        .scalar_subquery()
    )


def _lock_column(column: Any) -> Any:
    return (
        select(column)
        .where(locks.c.site == bindparam("b_site"), locks.c.key_hash == bindparam("b_lock"))
        .scalar_subquery()
    )


# Admit reads everything it decides on in one statement (built once: it is on the hot path).
_READING = Prepared(
    select(
        _count_of(bindparam("b_scope"), "b_key", "b_now").label("cur"),
        _count_of(bindparam("b_scope"), "b_key", "b_prev").label("prev"),
        select(func.max(failure_counters.c.last_at))
        .where(
            failure_counters.c.site == bindparam("b_site"),
            failure_counters.c.scope == bindparam("b_scope"),
            failure_counters.c.key_hash == bindparam("b_key"),
            failure_counters.c.window_start.in_([bindparam("b_now"), bindparam("b_prev")]),
        )
        .scalar_subquery()
        .label("last_at"),
        _lock_column(locks.c.until).label("until"),
        _lock_column(locks.c.reason).label("reason"),
        _count_of(FailureScope.IP.value, "b_ip", "b_now", ALL_SITES).label("ip_cur"),
        _count_of(FailureScope.IP.value, "b_ip", "b_prev", ALL_SITES).label("ip_prev"),
    )
)


def _aware(value: Any) -> datetime | None:
    """Subqueries bypass the column type, so their datetimes come back naive (or as text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_HITS: dict[tuple[str, bool], Prepared] = {}


class CounterRepo(Repo):
    """Failure counters: one row per (site, scope, key, window), bumped by an upsert so
    parallel failures on any number of instances never lose a count."""

    async def hit(
        self,
        site: str,
        scope: FailureScope,
        key: str,
        window: datetime,
        now: datetime | None = None,
    ) -> int:
        params = {
            "b_site": site,
            "b_scope": scope.value,
            "b_key": key,
            "b_window": window,
            "b_at": now,
        }
        row = await self.conn.first(self._hit_statement(now is not None), params)
        assert row is not None  # RETURNING of an upsert: always its row
        return int(row["count"])

    def _hit_statement(self, timed: bool) -> Prepared:
        """The upsert, built once per dialect: every sign-in runs it before its hash."""
        key = (self.conn.dialect.name, timed)
        found = _HITS.get(key)
        if found is None:
            counters = failure_counters.c
            changes: dict[str, Any] = {"count": counters.count + 1}
            if timed:
                changes["last_at"] = bindparam("b_at", type_=counters.last_at.type)
            found = _HITS[key] = Prepared(
                self.upsert_dialect()(failure_counters)
                .values(
                    site=bindparam("b_site", type_=counters.site.type),
                    scope=bindparam("b_scope", type_=counters.scope.type),
                    key_hash=bindparam("b_key", type_=counters.key_hash.type),
                    window_start=bindparam("b_window", type_=counters.window_start.type),
                    count=1,
                    last_at=bindparam("b_at", type_=counters.last_at.type),
                )
                .on_conflict_do_update(
                    index_elements=["site", "scope", "key_hash", "window_start"], set_=changes
                )
                .returning(counters.count)
            )
        return found

    async def touch(
        self, site: str, scope: FailureScope, key: str, window: datetime, now: datetime
    ) -> None:
        query = (
            update(failure_counters)
            .where(*self._key(site, scope, key), failure_counters.c.window_start == window)
            .values(last_at=now)
        )
        await self.conn.execute(query)

    async def reading(
        self,
        site: str,
        *,
        scope: FailureScope,
        key: str,
        lock_key: str,
        ip_key: str,
        window: datetime,
        previous: datetime,
    ) -> Reading:
        params = {
            "b_site": site,
            "b_scope": scope.value,
            "b_key": key,
            "b_lock": lock_key,
            "b_ip": ip_key,
            "b_now": window,
            "b_prev": previous,
        }
        row = await self.conn.first(_READING, params)
        assert row is not None  # a SELECT of scalar subqueries: always one row
        return Reading(
            current=int(row["cur"] or 0),
            previous=int(row["prev"] or 0),
            last_at=_aware(row["last_at"]),
            locked_until=_aware(row["until"]),
            lock_reason=row["reason"],
            ip_current=int(row["ip_cur"] or 0),
            ip_previous=int(row["ip_prev"] or 0),
        )

    async def count(self, site: str, scope: FailureScope, key: str, window: datetime) -> int:
        query = select(failure_counters.c.count).where(
            *self._key(site, scope, key), failure_counters.c.window_start == window
        )
        return int((await self.conn.execute(query)).scalar_one_or_none() or 0)

    async def take_back(self, site: str, scope: FailureScope, key: str, window: datetime) -> None:
        query = (
            update(failure_counters)
            .where(
                *self._key(site, scope, key),
                failure_counters.c.window_start == window,
                failure_counters.c.count > 0,
            )
            .values(count=failure_counters.c.count - 1)
        )
        await self.conn.execute(query)

    async def reset(self, site: str, scope: FailureScope, key: str) -> None:
        params = {"b_site": site, "b_scope": scope.value, "b_key": key}
        await self.conn.run(_RESET_COUNTER, params)

    @staticmethod
    def _key(site: str, scope: FailureScope, key: str) -> list[Any]:
        return [
            failure_counters.c.site == site,
            failure_counters.c.scope == scope.value,
            failure_counters.c.key_hash == key,
        ]


def _message(row: Any) -> Message:
    data = {k: v for k, v in row.items() if k != "lease_until"}
    return load(
        Message,
        data,
        renamed={"to_address": "to"},
        convert={"channel": Channel, "kind": MessageKind, "status": MessageStatus},
    )


def _waiting(now: datetime) -> tuple[Any, ...]:
    """Written for later, never tried, not due: the worker cannot have leased it, so a
    conditional write on these terms never races a delivery."""
    return (
        messages.c.status == MessageStatus.PENDING.value,
        messages.c.attempts == 0,
        messages.c.next_attempt_at > now,
    )


def _filed_at() -> Any:
    """``Message.filed_at`` in SQL (CASE and IS NULL read alike on SQLite and PostgreSQL)."""
    return case(
        (messages.c.sent_at.is_not(None), messages.c.sent_at),
        (
            and_(messages.c.attempts == 0, messages.c.next_attempt_at.is_not(None)),
            messages.c.next_attempt_at,
        ),
        else_=messages.c.created_at,
    )


class OutboxRepo(Repo):
    async def add(self, message: Message) -> bool:
        values = values_of(message, to="to_address")
        if message.dedupe_key is None:
            await self.conn.execute(insert(messages).values(**values))
            return True
        query = (
            self.upsert_dialect()(messages)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def for_account(self, site: str, account_id: str, limit: int = 50) -> list[Message]:
        query = (
            select(messages)
            .where(
                messages.c.site == site,
                messages.c.account_id == account_id,
                # Logout tokens to apps and webhooks to the store are not the customer's mail.
                messages.c.channel.not_in([Channel.APP.value, Channel.WEBHOOK.value]),
            )
            .order_by(_filed_at().desc(), messages.c.id)
            .limit(limit)
        )
        return [_message(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def waiting(
        self, site: str, account_id: str, kind: MessageKind, now: datetime
    ) -> list[Message]:
        query = (
            select(messages)
            .where(
                messages.c.site == site,
                messages.c.account_id == account_id,
                messages.c.kind == kind.value,
                *_waiting(now),
            )
            .order_by(messages.c.created_at, messages.c.id)
        )
        return [_message(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def reschedule(self, message_id: str, due: datetime, now: datetime) -> bool:
        statement = (
            update(messages)
            .where(messages.c.id == message_id, *_waiting(now))
            .values(next_attempt_at=due)
        )
        return bool((await self.conn.execute(statement)).rowcount == 1)

    async def take_back(self, message_id: str, now: datetime) -> bool:
        statement = delete(messages).where(messages.c.id == message_id, *_waiting(now))
        return bool((await self.conn.execute(statement)).rowcount == 1)

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, *, webhooks: bool = False
    ) -> list[Message]:
        free = or_(messages.c.lease_until.is_(None), messages.c.lease_until < now)
        pending = messages.c.status == MessageStatus.PENDING.value
        hook = messages.c.channel == Channel.WEBHOOK.value
        due_query = (
            select(messages.c.id)
            .where(pending, messages.c.next_attempt_at <= now, free, hook if webhooks else ~hook)
            .order_by(messages.c.next_attempt_at)
            .limit(limit)
        )
        claimed: list[Message] = []
        for message_id in (await self.conn.execute(due_query)).scalars().all():
            lease = (
                update(messages)
                .where(messages.c.id == message_id, pending, free)
                .values(lease_until=lease_until)
                .returning(*messages.c)
            )
            row = (await self.conn.execute(lease)).mappings().first()
            if row is not None:  # another worker may have leased it in between
                claimed.append(_message(row))
        return claimed

    async def mark_sent(
        self, message_id: str, now: datetime, body: str | None = None, html: str | None = None
    ) -> None:
        values: dict[str, Any] = {"body": body} if body is not None else {}
        if html is not None:
            values["html"] = html
        await self._set(
            message_id,
            status=MessageStatus.SENT.value,
            sent_at=now,
            lease_until=None,
            attempts=messages.c.attempts + 1,
            **values,
        )

    async def mark_retry(
        self, message_id: str, attempts: int, next_at: datetime, error: str, give_up: bool
    ) -> None:
        status = MessageStatus.FAILED if give_up else MessageStatus.PENDING
        await self._set(
            message_id,
            status=status.value,
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=error,
            lease_until=None,
        )

    async def latest(self, limit: int = 200) -> list[Message]:
        query = select(messages).order_by(_filed_at().desc(), messages.c.id).limit(limit)
        return [_message(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def _set(self, message_id: str, **values: Any) -> None:
        await self.conn.execute(
            update(messages).where(messages.c.id == message_id).values(**values)
        )
