"""The apps (OIDC clients), their grants, tokens and consents, and the signing keys.
Every query but the keys' is scoped by site (SECURITY.md 40); none commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import oidc_apps as a
from entryway.adapters.sql.tables import oidc_consents as c
from entryway.adapters.sql.tables import oidc_grants as g
from entryway.adapters.sql.tables import oidc_keys as k
from entryway.adapters.sql.tables import oidc_tokens as t
from entryway.core.apps import TokenKind
from entryway.errors import Conflict
from entryway.flows.apps.records import App, Consent, Grant, LiveToken, SigningKey, Token

_KIND = {"kind": TokenKind}


def _labelled(table: Table, prefix: str) -> list[Any]:
    """The table's columns under a prefix, so a join's same-named columns stay apart."""
    return [col.label(prefix + col.name) for col in table.c]


def _part(row: Mapping[Any, Any], prefix: str) -> dict[str, Any]:
    """The columns of one table out of a joined row (prefix removed)."""
    n = len(prefix)
    return {str(key)[n:]: v for key, v in row.items() if str(key).startswith(prefix)}


def _token(data: Mapping[Any, Any]) -> Token:
    return load(Token, data, convert=_KIND)


def _grant(data: Mapping[Any, Any]) -> Grant:
    return load(Grant, data)


class AppRepo(Repo):
    # --- clients -------------------------------------------------------------------------
    async def add_app(self, app: App) -> None:
        """Insert; a taken id raises Conflict and leaves the transaction usable."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(insert(a).values(**values_of(app)))
        except IntegrityError as exc:
            raise Conflict("client id already registered") from exc

    async def get_app(self, site: str, app_id: str) -> App | None:
        """The app of that id on that site."""
        query = select(a).where(a.c.site == site, a.c.id == app_id)
        row = (await self.conn.execute(query)).mappings().first()
        return load(App, row) if row else None

    async def list_apps(self, site: str | None = None) -> list[App]:
        """Every app (of one site), by site then name."""
        query = select(a).order_by(a.c.site, a.c.name, a.c.id)
        if site is not None:
            query = query.where(a.c.site == site)
        return [load(App, r) for r in (await self.conn.execute(query)).mappings().all()]

    async def update_app(self, site: str, app_id: str, **values: Any) -> bool:
        """Change columns of one app; false when there is no such app on the site."""
        query = update(a).where(a.c.site == site, a.c.id == app_id).values(**values)
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def remove_app(self, site: str, app_id: str) -> bool:
        """The app goes, with its grants, tokens and consents (foreign keys cascade)."""
        query = delete(a).where(a.c.site == site, a.c.id == app_id)
        return bool((await self.conn.execute(query)).rowcount == 1)

    # --- grants and codes ----------------------------------------------------------------
    async def add_grant(self, grant: Grant) -> None:
        """Insert a grant (its code unused)."""
        await self.conn.execute(insert(g).values(**values_of(grant)))

    async def get_grant(self, site: str, grant_id: str) -> Grant | None:
        """The grant in any state."""
        query = select(g).where(g.c.site == site, g.c.id == grant_id)
        row = (await self.conn.execute(query)).mappings().first()
        return _grant(row) if row else None

    async def grant_by_code(self, site: str, code_hash: str) -> Grant | None:
        """The grant a code was issued for, used, expired or revoked alike."""
        query = select(g).where(g.c.site == site, g.c.code_hash == code_hash)
        row = (await self.conn.execute(query)).mappings().first()
        return _grant(row) if row else None

    async def redeem_code(self, site: str, code_hash: str, now: datetime) -> bool:
        """Conditional write: true for exactly one caller while the code is unused,
        unexpired and its grant unrevoked (SECURITY.md 38)."""
        query = (
            update(g)
            .where(
                g.c.site == site,
                g.c.code_hash == code_hash,
                g.c.code_used_at.is_(None),
                g.c.code_expires_at > now,
                g.c.revoked_at.is_(None),
            )
            .values(code_used_at=now)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def revoke_grant(self, site: str, grant_id: str, now: datetime, why: str) -> bool:
        """Conditional write: the grant and so every token of it stop working (each live
        query requires the grant unrevoked); false when it was revoked already."""
        query = (
            update(g)
            .where(g.c.site == site, g.c.id == grant_id, g.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_why=why)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def revoke_for_account(
        self, site: str, account_id: str, now: datetime, why: str, *, sid: str | None = None
    ) -> list[Grant]:
        """Revoke every live grant of the account (only those of session ``sid``, when
        given); the grants it revoked, newest first, for back-channel logout."""
        query = update(g).where(
            g.c.site == site, g.c.account_id == account_id, g.c.revoked_at.is_(None)
        )
        if sid is not None:
            query = query.where(g.c.sid == sid)
        # RETURNING names exactly the rows this statement changed, not those a parallel
        # revocation got first (both databases support it).
        rows = (
            (await self.conn.execute(query.values(revoked_at=now, revoked_why=why).returning(g)))
            .mappings()
            .all()
        )
        grants = [_grant(r) for r in rows]
        grants.sort(key=lambda x: (x.created_at, x.id), reverse=True)
        return grants

    async def live_grants(self, site: str, account_id: str) -> list[Grant]:
        """The account's unrevoked grants, newest first."""
        query = (
            select(g)
            .where(g.c.site == site, g.c.account_id == account_id, g.c.revoked_at.is_(None))
            .order_by(g.c.created_at.desc(), g.c.id.desc())
        )
        return [_grant(r) for r in (await self.conn.execute(query)).mappings().all()]

    # --- tokens --------------------------------------------------------------------------
    async def add_token(self, token: Token) -> None:
        """Insert a token (by its keyed hash)."""
        values = values_of(token)
        values["kind"] = token.kind.value
        await self.conn.execute(insert(t).values(**values))

    async def find_token(self, site: str, token_hash: str) -> tuple[Token, Grant] | None:
        """The token and its grant in any state (rotation, reuse and revocation read it)."""
        query = (
            select(*_labelled(t, "t_"), *_labelled(g, "g_"))
            .join_from(t, g, t.c.grant_id == g.c.id)
            .where(t.c.site == site, t.c.hash == token_hash, g.c.site == site)
        )
        row = (await self.conn.execute(query)).mappings().first()
        if row is None:
            return None
        return _token(_part(row, "t_")), _grant(_part(row, "g_"))

    async def live_token(
        self, site: str, token_hash: str, kind: TokenKind, now: datetime
    ) -> LiveToken | None:
        """One query: the token unexpired and unrevoked, its grant unrevoked, its app."""
        query = (
            select(*_labelled(t, "t_"), *_labelled(g, "g_"), *_labelled(a, "a_"))
            .join_from(t, g, t.c.grant_id == g.c.id)
            .join(a, g.c.app_id == a.c.id)
            .where(
                t.c.site == site,
                t.c.hash == token_hash,
                t.c.kind == kind.value,
                t.c.expires_at > now,
                t.c.revoked_at.is_(None),
                g.c.site == site,
                g.c.revoked_at.is_(None),
                a.c.site == site,
            )
        )
        row = (await self.conn.execute(query)).mappings().first()
        if row is None:
            return None
        return LiveToken(
            token=_token(_part(row, "t_")),
            grant=_grant(_part(row, "g_")),
            app=load(App, _part(row, "a_")),
        )

    async def rotate_refresh(self, site: str, token_hash: str, now: datetime) -> bool:
        """Conditional write: mark a live, unused refresh token used; true for exactly one
        caller (SECURITY.md 39)."""
        grant_live = exists().where(
            g.c.id == t.c.grant_id, g.c.site == site, g.c.revoked_at.is_(None)
        )
        query = (
            update(t)
            .where(
                t.c.site == site,
                t.c.hash == token_hash,
                t.c.kind == TokenKind.REFRESH.value,
                t.c.used_at.is_(None),
                t.c.revoked_at.is_(None),
                t.c.expires_at > now,
                grant_live,
            )
            .values(used_at=now)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def revoke_token(self, site: str, token_hash: str, now: datetime) -> bool:
        """Conditional write: false when unknown on the site or revoked already."""
        query = (
            update(t)
            .where(t.c.site == site, t.c.hash == token_hash, t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    # --- consents ------------------------------------------------------------------------
    async def consent(
        self, site: str, account_id: str, app_id: str, now: datetime
    ) -> Consent | None:
        """The account's live consent for the app, if any."""
        query = select(c).where(
            c.c.site == site,
            c.c.account_id == account_id,
            c.c.app_id == app_id,
            c.c.expires_at > now,
        )
        row = (await self.conn.execute(query)).mappings().first()
        return load(Consent, row) if row else None

    async def save_consent(self, consent: Consent) -> None:
        """Insert or replace the account's consent for the app."""
        values = values_of(consent)
        query = (
            self.upsert_dialect()(c)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["site", "account_id", "app_id"],
                set_={
                    "scopes": values["scopes"],
                    "granted_at": values["granted_at"],
                    "expires_at": values["expires_at"],
                },
            )
        )
        await self.conn.execute(query)

    async def forget_consents(self, site: str, account_id: str) -> int:
        """Delete every consent of the account; how many."""
        query = delete(c).where(c.c.site == site, c.c.account_id == account_id)
        return int((await self.conn.execute(query)).rowcount)

    # --- signing keys (shared by every site's issuer) ------------------------------------
    async def add_key(self, key: SigningKey) -> None:
        """Insert a signing key (its private part sealed already)."""
        await self.conn.execute(insert(k).values(**values_of(key)))

    async def keys(self, now: datetime) -> list[SigningKey]:
        """Keys still published (``drop_after`` unset or later than ``now``), newest first."""
        query = (
            select(k)
            .where(or_(k.c.drop_after.is_(None), k.c.drop_after > now))
            .order_by(k.c.created_at.desc(), k.c.kid.desc())
        )
        return [load(SigningKey, r) for r in (await self.conn.execute(query)).mappings().all()]

    async def retire_keys(
        self, alg: str, keep: str, retired_at: datetime, drop_after: datetime
    ) -> int:
        """Every unretired key of ``alg`` but ``keep`` stops signing at ``retired_at`` and
        leaves JWKS at ``drop_after``; how many."""
        query = (
            update(k)
            .where(k.c.alg == alg, k.c.kid != keep, k.c.retired_at.is_(None))
            .values(retired_at=retired_at, drop_after=drop_after)
        )
        return int((await self.conn.execute(query)).rowcount)
