"""What the apps' flows need from storage: one repository, ``uow.apps``. Every query but
the signing keys' is scoped by site (a client or token of one site is unknown to another,
SECURITY.md 40); every secret is looked up by its keyed hash, never stored in clear."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from entryway.core.apps import TokenKind
from entryway.flows.apps.records import App, Consent, Grant, LiveToken, SigningKey, Token


class Apps(Protocol):
    # --- clients -------------------------------------------------------------------------
    async def add_app(self, app: App) -> None: ...
    async def get_app(self, site: str, app_id: str) -> App | None: ...
    async def list_apps(self, site: str | None = None) -> list[App]:
        """Every app (of one site), by site then name."""
        ...

    async def update_app(self, site: str, app_id: str, **values: Any) -> bool: ...
    async def remove_app(self, site: str, app_id: str) -> bool:
        """The app goes, with its grants, tokens and consents."""
        ...

    # --- grants and codes ----------------------------------------------------------------
    async def add_grant(self, grant: Grant) -> None: ...
    async def get_grant(self, site: str, grant_id: str) -> Grant | None: ...
    async def grant_by_code(self, site: str, code_hash: str) -> Grant | None:
        """The grant a code was issued for, used, expired or revoked alike."""
        ...

    async def redeem_code(self, site: str, code_hash: str, now: datetime) -> bool:
        """Conditional write: true for exactly one caller while the code is unused,
        unexpired and its grant unrevoked (SECURITY.md 38)."""
        ...

    async def revoke_grant(self, site: str, grant_id: str, now: datetime, why: str) -> bool:
        """Conditional write: the grant and every token of it stop working; false when it
        was revoked already."""
        ...

    async def revoke_for_account(
        self, site: str, account_id: str, now: datetime, why: str, *, sid: str | None = None
    ) -> list[Grant]:
        """Revoke every live grant of the account (only those of session ``sid``, when
        given); the grants it revoked, for back-channel logout."""
        ...

    async def live_grants(self, site: str, account_id: str) -> list[Grant]:
        """The account's unrevoked grants, newest first."""
        ...

    # --- tokens --------------------------------------------------------------------------
    async def add_token(self, token: Token) -> None: ...
    async def find_token(self, site: str, token_hash: str) -> tuple[Token, Grant] | None:
        """The token and its grant in any state (rotation, reuse and revocation read it)."""
        ...

    async def live_token(
        self, site: str, token_hash: str, kind: TokenKind, now: datetime
    ) -> LiveToken | None:
        """One query: the token unexpired and unrevoked, its grant unrevoked, its app."""
        ...

    async def rotate_refresh(self, site: str, token_hash: str, now: datetime) -> bool:
        """Conditional write: mark a live, unused refresh token used; true for exactly one
        caller (SECURITY.md 39)."""
        ...

    async def revoke_token(self, site: str, token_hash: str, now: datetime) -> bool: ...

    # --- consents ------------------------------------------------------------------------
    async def consent(
        self, site: str, account_id: str, app_id: str, now: datetime
    ) -> Consent | None:
        """The account's live consent for the app, if any."""
        ...

    async def save_consent(self, consent: Consent) -> None:
        """Insert or replace the account's consent for the app."""
        ...

    async def forget_consents(self, site: str, account_id: str) -> int: ...

    # --- signing keys (shared by every site's issuer) ------------------------------------
    async def add_key(self, key: SigningKey) -> None: ...
    async def keys(self, now: datetime) -> list[SigningKey]:
        """Keys still published (``drop_after`` unset or later than ``now``), newest first."""
        ...

    async def retire_keys(
        self, alg: str, keep: str, retired_at: datetime, drop_after: datetime
    ) -> int:
        """Every unretired key of ``alg`` but ``keep`` stops signing at ``retired_at`` and
        leaves JWKS at ``drop_after``; how many."""
        ...
