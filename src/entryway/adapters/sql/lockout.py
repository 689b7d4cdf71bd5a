"""Locks and emailed single-use links. Every query is scoped by site; none commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, select, update

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import links, locks
from entryway.core.events import FlowPurpose
from entryway.core.lockout import LockReason
from entryway.flows.ports import Link, Lock


class LockRepo(Repo):
    async def get(self, site: str, key_hash: str) -> Lock | None:
        query = select(locks).where(locks.c.site == site, locks.c.key_hash == key_hash)
        row = (await self.conn.execute(query)).mappings().first()
        return load(Lock, row, convert={"reason": LockReason}) if row else None

    async def acquire(
        self, lock: Lock, now: datetime, *, max_strikes: int, forever: datetime
    ) -> bool:
        values = values_of(lock)
        values["strikes"] = 1
        if max_strikes <= 1:
            values["until"] = forever
        strikes = locks.c.strikes + 1
        query = (
            self.upsert_dialect()(locks)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["site", "key_hash"],
                set_={
                    "account_id": lock.account_id,
                    "reason": lock.reason.value,
                    "locked_at": lock.locked_at,
                    "strikes": strikes,
                    "until": case((strikes >= max_strikes, forever), else_=lock.until),
                },
                where=locks.c.until <= now,  # a live lock is left exactly as it is
            )
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def forget_expired(self, site: str, key_hash: str, now: datetime) -> None:
        query = delete(locks).where(
            locks.c.site == site, locks.c.key_hash == key_hash, locks.c.until <= now
        )
        await self.conn.execute(query)

    async def release_account(self, site: str, account_id: str, *, operator: bool = False) -> int:
        query = delete(locks).where(locks.c.site == site, locks.c.account_id == account_id)
        if not operator:
            query = query.where(locks.c.reason != LockReason.OPERATOR.value)
        return int((await self.conn.execute(query)).rowcount)

    async def hold(self, lock: Lock) -> bool:
        if lock.reason is not LockReason.OPERATOR:
            raise ValueError(f"only an operator's lock is held, got {lock.reason}")
        values = values_of(lock)
        query = (
            self.upsert_dialect()(locks)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["site", "key_hash"],
                set_={
                    "account_id": lock.account_id,
                    "reason": lock.reason.value,
                    "locked_at": lock.locked_at,
                    "until": lock.until,
                    "strikes": lock.strikes,
                },
                where=locks.c.reason != LockReason.OPERATOR.value,  # one holds: unchanged
            )
        )
        return bool((await self.conn.execute(query)).rowcount == 1)


class LinkRepo(Repo):
    async def add(self, link: Link) -> None:
        await self.conn.execute(links.insert().values(**values_of(link)))

    async def get(self, site: str, id_hash: str, purpose: FlowPurpose) -> Link | None:
        query = select(links).where(
            links.c.site == site, links.c.id_hash == id_hash, links.c.purpose == purpose.value
        )
        row = (await self.conn.execute(query)).mappings().first()
        return load(Link, row, convert={"purpose": FlowPurpose}) if row else None

    async def use(self, site: str, id_hash: str, purpose: FlowPurpose, now: datetime) -> bool:
        query = (
            update(links)
            .where(
                links.c.site == site,
                links.c.id_hash == id_hash,
                links.c.purpose == purpose.value,
                links.c.used_at.is_(None),
                links.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def void_for(self, site: str, account_id: str, purpose: FlowPurpose) -> None:
        query = (
            update(links)
            .where(
                links.c.site == site,
                links.c.account_id == account_id,
                links.c.purpose == purpose.value,
                links.c.used_at.is_(None),
            )
            .values(used_at=links.c.created_at)  # spent, and marked as never really used
        )
        await self.conn.execute(query)
