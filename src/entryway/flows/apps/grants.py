"""Authorizations of the store's apps and what is issued from them: codes, access and
refresh tokens, consents. The protocol's checks (redirect URI, PKCE, scopes) are made by the
web layer over authlib before these run; these own storage and its single-use rules.

Every token is random and opaque, stored only as a keyed hash (SECURITY.md 39); revoking
a grant stops every token of it, since every lookup of a live token joins its grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.apps import Scope, TokenKind, amr_of
from entryway.core.events import AccountStatus, AuditAction
from entryway.core.secrets import new_token
from entryway.flows.apps.clients import code_hash, token_hash
from entryway.flows.apps.records import App, Consent, Grant, LiveToken, Token
from entryway.flows.common import audit
from entryway.flows.ports import Account, Deps, Requester, Session, UnitOfWork
from entryway.flows.trust.state import marked

REPLAYED = "code_replayed"
REUSED = "refresh_reused"
REVOKED = "revoked"
SESSION_OVER = "session_over"


@dataclass(frozen=True, slots=True)
class Issued:
    """What the token endpoint hands over (the tokens in clear, this once)."""

    access_token: str
    expires_in: int
    refresh_token: str | None
    scopes: list[str]
    grant: Grant
    account: Account
    sibling: bool = False  # a retry within the grace period got a token of its own


def usable(account: Account | None, now: datetime) -> bool:
    """An account tokens may speak for: verified, and not suspended."""
    return (
        account is not None and account.status == AccountStatus.ACTIVE and not marked(account, now)
    )


def wants_refresh(deps: Deps, app: App, scopes: list[str]) -> bool:
    """Refresh tokens only with ``offline_access``, or for a first-party app when the
    setting allows (issue 14: ``offline_access`` confusion is a peer's top complaint)."""
    return Scope.OFFLINE_ACCESS in scopes or (
        app.first_party and deps.app_policy.first_party_refresh
    )


async def needs_consent(deps: Deps, app: App, account_id: str, scopes: list[str]) -> bool:
    """A third-party app asks the customer once per scope set; first-party apps never."""
    if app.first_party:
        return False
    async with deps.uow() as uow:
        consent = await uow.apps.consent(app.site, account_id, app.id, deps.clock.now())
    return consent is None or not set(scopes) <= set(consent.scopes)


async def allow(deps: Deps, app: App, account_id: str, scopes: list[str], who: Requester) -> None:
    """Remember that the customer allowed these scopes (with any allowed before)."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        before = await uow.apps.consent(app.site, account_id, app.id, now)
        kept = sorted(set(scopes) | set(before.scopes if before else ()))
        await uow.apps.save_consent(
            Consent(
                site=app.site,
                account_id=account_id,
                app_id=app.id,
                scopes=kept,
                granted_at=now,
                expires_at=now + deps.app_policy.consent,
            )
        )
        await audit(deps, uow, app.site, account_id, AuditAction.APP_CONSENTED, who, app=app.id)
        await uow.commit()


async def issue_code(
    deps: Deps,
    *,
    code: str,
    app: App,
    session: Session,
    scopes: list[str],
    redirect_uri: str,
    nonce: str,
    code_challenge: str,
    who: Requester,
) -> None:
    """A new grant for the signed-in session and its single-use ``code`` (60 s)."""
    now = deps.clock.now()
    policy = deps.app_policy
    grant = Grant(
        id=new_token(deps.rng, 16),
        site=app.site,
        app_id=app.id,
        account_id=session.account_id,
        scopes=scopes,
        redirect_uri=redirect_uri,
        code_hash=code_hash(deps, code),
        code_expires_at=now + policy.code,
        code_challenge=code_challenge,
        nonce=nonce,
        sid=session.public_id,
        auth_time=session.auth_at or session.created_at,
        amr=amr_of(session.amr.split()),
        created_at=now,
        refresh_until=now + policy.refresh_absolute,
    )
    async with deps.uow() as uow:
        await uow.apps.add_grant(grant)
        await audit(
            deps, uow, app.site, session.account_id, AuditAction.APP_AUTHORIZED, who, app=app.id
        )
        await uow.commit()


@dataclass(frozen=True, slots=True)
class CodeLookup:
    """A presented code as found: its grant and account (both None when unknown)."""

    grant: Grant | None
    account: Account | None


async def find_code(deps: Deps, site: str, code: str) -> CodeLookup:
    """The grant of a presented code and its account, in whatever state (read before the
    protocol checks, which are synchronous)."""
    if not code or len(code) > 200:
        return CodeLookup(None, None)
    async with deps.uow() as uow:
        grant = await uow.apps.grant_by_code(site, code_hash(deps, code))
        account = await uow.accounts.get(site, grant.account_id) if grant else None
    return CodeLookup(grant, account)


async def redeem_code(
    deps: Deps, app: App, grant: Grant, tokens: dict[str, str], who: Requester
) -> Issued | None:
    """Spend the code once (a conditional write) and store the tokens the protocol made;
    None when it was spent, expired or revoked. A code that comes back revokes its whole
    grant, tokens from the first use included (SECURITY.md 38, RFC 6749 §4.1.2)."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        if not await uow.apps.redeem_code(app.site, grant.code_hash, now):
            if await uow.apps.revoke_grant(app.site, grant.id, now, REPLAYED):
                await audit(
                    deps,
                    uow,
                    app.site,
                    grant.account_id,
                    AuditAction.APP_TOKEN_REUSED,
                    who,
                    app=app.id,
                    what="code",
                )
            await uow.commit()
            return None
        account = await uow.accounts.get(app.site, grant.account_id)
        if not usable(account, now):
            return None  # rolled back: nothing spent for an account that cannot sign in
        assert account is not None
        issued = await _store_tokens(deps, uow, app, grant, account, tokens, now)
        await uow.commit()
    return issued


@dataclass(frozen=True, slots=True)
class RefreshLookup:
    token: Token | None
    grant: Grant | None
    account: Account | None


async def find_refresh(deps: Deps, site: str, refresh_token: str) -> RefreshLookup:
    """A presented refresh token, its grant and account, in whatever state."""
    if not refresh_token or len(refresh_token) > 200:
        return RefreshLookup(None, None, None)
    async with deps.uow() as uow:
        found = await uow.apps.find_token(site, token_hash(deps, refresh_token))
        if found is None or found[0].kind != TokenKind.REFRESH:
            return RefreshLookup(None, None, None)
        token, grant = found
        account = await uow.accounts.get(site, grant.account_id)
    return RefreshLookup(token, grant, account)


async def rotate(
    deps: Deps,
    app: App,
    presented: Token,
    grant: Grant,
    tokens: dict[str, str],
    who: Requester,
) -> Issued | None:
    """Rotate a refresh token: the first use marks it used (a conditional write) and gets
    a new one; a retry within the grace period (a laptop waking with two tabs) gets a
    sibling of the same grant; a use after that revokes the grant (stolen and replayed).
    None when refused."""
    now = deps.clock.now()
    grace = deps.app_policy.refresh_grace
    async with deps.uow() as uow:
        if grant.revoked_at is not None or presented.revoked_at is not None:
            return None
        if presented.expires_at <= now or grant.refresh_until <= now:
            return None
        sibling = False
        if not await uow.apps.rotate_refresh(app.site, presented.hash, now):
            again = await uow.apps.find_token(app.site, presented.hash)
            used_at = again[0].used_at if again else None
            if used_at is None or now - used_at > grace:
                if await uow.apps.revoke_grant(app.site, grant.id, now, REUSED):
                    await audit(
                        deps,
                        uow,
                        app.site,
                        grant.account_id,
                        AuditAction.APP_TOKEN_REUSED,
                        who,
                        app=app.id,
                        what="refresh_token",
                    )
                await uow.commit()
                return None
            sibling = True
        account = await uow.accounts.get(app.site, grant.account_id)
        if not usable(account, now):
            return None
        assert account is not None
        if Scope.OFFLINE_ACCESS not in grant.scopes and not await _session_goes_on(uow, grant, now):
            await uow.apps.revoke_grant(app.site, grant.id, now, SESSION_OVER)
            await uow.commit()
            return None
        issued = await _store_tokens(deps, uow, app, grant, account, tokens, now, sibling=sibling)
        await uow.commit()
    return issued


async def _session_goes_on(uow: UnitOfWork, grant: Grant, now: datetime) -> bool:
    """A grant without ``offline_access`` (a first-party app's refresh token) lasts only as
    long as the sign-in session it was given in. The app's refreshes do not keep that session
    alive: its idle timeout is the customer's, not the app's."""
    live = await uow.sessions.list_for(grant.site, grant.account_id, now)
    return any(s.public_id == grant.sid for s in live)


async def _store_tokens(
    deps: Deps,
    uow: UnitOfWork,
    app: App,
    grant: Grant,
    account: Account,
    tokens: dict[str, str],
    now: datetime,
    *,
    sibling: bool = False,
) -> Issued:
    policy = deps.app_policy
    access = tokens["access_token"]
    await uow.apps.add_token(
        Token(
            hash=token_hash(deps, access),
            site=app.site,
            grant_id=grant.id,
            kind=TokenKind.ACCESS,
            created_at=now,
            expires_at=now + policy.access,
        )
    )
    refresh = tokens.get("refresh_token") if wants_refresh(deps, app, grant.scopes) else None
    if refresh:
        await uow.apps.add_token(
            Token(
                hash=token_hash(deps, refresh),
                site=app.site,
                grant_id=grant.id,
                kind=TokenKind.REFRESH,
                created_at=now,
                expires_at=min(now + policy.refresh, grant.refresh_until),
            )
        )
    return Issued(
        access_token=access,
        expires_in=int(policy.access.total_seconds()),
        refresh_token=refresh,
        scopes=grant.scopes,
        grant=grant,
        account=account,
        sibling=sibling,
    )


@dataclass(frozen=True, slots=True)
class Holder:
    """A live access token and the account it speaks for (userinfo, introspection)."""

    live: LiveToken
    account: Account


async def holder(
    deps: Deps, site: str, raw: str, kind: TokenKind = TokenKind.ACCESS
) -> Holder | None:
    """The live token's grant, app and account; None when unknown, expired, revoked (its
    grant too), a refresh token already rotated, or when the account can no longer sign in
    (SECURITY.md 26)."""
    if not raw or len(raw) > 200:
        return None
    now = deps.clock.now()
    async with deps.uow() as uow:
        live = await uow.apps.live_token(site, token_hash(deps, raw), kind, now)
        if live is None or live.token.used_at is not None:
            return None
        if (
            kind == TokenKind.REFRESH
            and Scope.OFFLINE_ACCESS not in live.grant.scopes
            and not await _session_goes_on(uow, live.grant, now)
        ):
            return None  # its session is over, so a refresh would be refused
        account = await uow.accounts.get(site, live.grant.account_id)
    if not usable(account, now):
        return None
    assert account is not None
    return Holder(live=live, account=account)


async def refresh_holder(deps: Deps, site: str, raw: str) -> Holder | None:
    """As ``holder``, for a refresh token (introspection)."""
    return await holder(deps, site, raw, TokenKind.REFRESH)


@dataclass(frozen=True, slots=True)
class Presented:
    """Any token presented for revocation or introspection, as found."""

    token: Token
    grant: Grant


async def find_any(deps: Deps, site: str, raw: str) -> Presented | None:
    """An access or refresh token of this site in whatever state."""
    if not raw or len(raw) > 200:
        return None
    async with deps.uow() as uow:
        found = await uow.apps.find_token(site, token_hash(deps, raw))
    return Presented(*found) if found else None


async def revoke(deps: Deps, app: App, presented: Presented, who: Requester) -> None:
    """RFC 7009: a refresh token revokes its whole grant; an access token only itself."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        if presented.token.kind == TokenKind.REFRESH:
            if await uow.apps.revoke_grant(app.site, presented.grant.id, now, REVOKED):
                await audit(
                    deps,
                    uow,
                    app.site,
                    presented.grant.account_id,
                    AuditAction.APP_GRANT_REVOKED,
                    who,
                    app=app.id,
                    count=1,
                )
        else:
            await uow.apps.revoke_token(app.site, presented.token.hash, now)
        await uow.commit()


async def code_replayed(deps: Deps, app: App, grant: Grant, who: Requester) -> None:
    """A spent code came back: its grant is revoked, the tokens from its first use too."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        if await uow.apps.revoke_grant(app.site, grant.id, now, REPLAYED):
            await audit(
                deps,
                uow,
                app.site,
                grant.account_id,
                AuditAction.APP_TOKEN_REUSED,
                who,
                app=app.id,
                what="code",
            )
            await uow.commit()
