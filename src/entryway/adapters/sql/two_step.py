"""Second factors, used TOTP steps and backup codes. Every query is scoped by site."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import (
    backup_codes,
    remembered_browsers,
    second_factors,
    totp_steps,
)
from entryway.flows.ports import RememberedBrowser, SecondFactor


class TwoStepRepo(Repo):
    async def add_factor(self, factor: SecondFactor) -> None:
        await self.conn.execute(insert(second_factors).values(**values_of(factor)))

    async def factors(self, site: str, account_id: str) -> list[SecondFactor]:
        query = (
            select(second_factors)
            .where(second_factors.c.site == site, second_factors.c.account_id == account_id)
            .order_by(second_factors.c.created_at, second_factors.c.id)
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(SecondFactor, r) for r in rows]

    async def confirm_factor(
        self, site: str, account_id: str, factor_id: str, now: datetime
    ) -> bool:
        result = await self.conn.execute(
            update(second_factors)
            .where(
                second_factors.c.site == site,
                second_factors.c.account_id == account_id,
                second_factors.c.id == factor_id,
                second_factors.c.confirmed_at.is_(None),
            )
            .values(confirmed_at=now)
        )
        return bool(result.rowcount == 1)

    async def delete_factor(self, site: str, account_id: str, factor_id: str) -> bool:
        result = await self.conn.execute(
            delete(second_factors).where(
                second_factors.c.site == site,
                second_factors.c.account_id == account_id,
                second_factors.c.id == factor_id,
            )
        )
        return bool(result.rowcount == 1)

    async def delete_unconfirmed(self, site: str, account_id: str) -> None:
        await self.conn.execute(
            delete(second_factors).where(
                second_factors.c.site == site,
                second_factors.c.account_id == account_id,
                second_factors.c.confirmed_at.is_(None),
            )
        )

    async def use_step(self, site: str, account_id: str, step: int, now: datetime) -> bool:
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(totp_steps).values(
                        site=site, account_id=account_id, step=step, used_at=now
                    )
                )
        except IntegrityError:
            return False  # that step was accepted already: a replay
        return True

    async def replace_backup_codes(
        self, site: str, account_id: str, hashes: list[str], now: datetime
    ) -> None:
        await self.conn.execute(
            delete(backup_codes).where(
                backup_codes.c.site == site, backup_codes.c.account_id == account_id
            )
        )
        await self.conn.execute(
            insert(backup_codes),
            [
                {"site": site, "account_id": account_id, "code_hash": h, "created_at": now}
                for h in hashes
            ],
        )

    async def use_backup_code(
        self, site: str, account_id: str, code_hash: str, now: datetime
    ) -> bool:
        result = await self.conn.execute(
            update(backup_codes)
            .where(
                backup_codes.c.site == site,
                backup_codes.c.account_id == account_id,
                backup_codes.c.code_hash == code_hash,
                backup_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)

    async def backup_codes_left(self, site: str, account_id: str) -> int:
        query = select(func.count()).where(
            backup_codes.c.site == site,
            backup_codes.c.account_id == account_id,
            backup_codes.c.used_at.is_(None),
        )
        return int((await self.conn.execute(query)).scalar_one())

    async def clear(self, site: str, account_id: str) -> None:
        for table in (second_factors, backup_codes):
            await self.conn.execute(
                delete(table).where(table.c.site == site, table.c.account_id == account_id)
            )

    async def remember(self, browser: RememberedBrowser) -> None:
        await self.conn.execute(insert(remembered_browsers).values(**values_of(browser)))

    async def is_remembered(
        self, site: str, account_id: str, token_hash: str, now: datetime
    ) -> bool:
        query = select(remembered_browsers.c.token_hash).where(
            remembered_browsers.c.token_hash == token_hash,
            remembered_browsers.c.site == site,
            remembered_browsers.c.account_id == account_id,
            remembered_browsers.c.expires_at > now,
        )
        return (await self.conn.execute(query)).first() is not None

    async def browsers(self, site: str, account_id: str, now: datetime) -> list[RememberedBrowser]:
        query = (
            select(remembered_browsers)
            .where(
                remembered_browsers.c.site == site,
                remembered_browsers.c.account_id == account_id,
                remembered_browsers.c.expires_at > now,
            )
            .order_by(remembered_browsers.c.created_at.desc())
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(RememberedBrowser, r) for r in rows]

    async def forget(self, site: str, account_id: str, public_id: str | None = None) -> int:
        query = delete(remembered_browsers).where(
            remembered_browsers.c.site == site, remembered_browsers.c.account_id == account_id
        )
        if public_id is not None:
            query = query.where(remembered_browsers.c.public_id == public_id)
        return int((await self.conn.execute(query)).rowcount)
