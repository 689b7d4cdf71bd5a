"""Verification answers (hashed). Every query is scoped by site."""

from __future__ import annotations

from sqlalchemy import delete, select

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import verification_answers as va
from entryway.flows.ports import StoredAnswer


class QuestionRepo(Repo):
    async def answers(self, site: str, account_id: str) -> list[StoredAnswer]:
        query = (
            select(va)
            .where(va.c.site == site, va.c.account_id == account_id)
            .order_by(va.c.position)
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(StoredAnswer, r) for r in rows]

    async def replace(self, site: str, account_id: str, answers: list[StoredAnswer]) -> None:
        """Each position is written with an upsert (and any beyond the new set removed), so
        two changes at once end with one whole set, the later one, never a mix or an error."""
        for answer in answers:
            if (answer.site, answer.account_id) != (site, account_id):
                raise ValueError(f"an answer of {answer.site}/{answer.account_id} in another set")
            values = values_of(answer)
            stmt = self.upsert_dialect()(va).values(**values)
            await self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[va.c.site, va.c.account_id, va.c.position],
                    set_={k: values[k] for k in ("question_id", "answer_hash", "set_at")},
                )
            )
        await self.conn.execute(
            delete(va).where(
                va.c.site == site,
                va.c.account_id == account_id,
                va.c.position > len(answers),
            )
        )

    async def clear(self, site: str, account_id: str) -> None:
        await self.conn.execute(delete(va).where(va.c.site == site, va.c.account_id == account_id))
