"""The store's apps as clients: registration, secrets, and client authentication.

A client secret is shown once and stored as a keyed hash like every other secret. Failed
authentication is counted per client and address (FailureScope.CLIENT_AUTH) and refused
for a while past a limit, but the app itself is never locked: guesses from one address must
not stop the store's shop from working everywhere else (SECURITY.md 10's rule, for apps).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from entryway.core.apps import redirect_uri_problem
from entryway.core.secrets import keyed_hash, new_token, same_secret
from entryway.core.throttle import FailureScope, window_start
from entryway.flows.apps.records import App
from entryway.flows.ports import Deps

MAX_FAILURES = 10  # per client and address, in a window of
FAILURE_WINDOW = timedelta(minutes=10)
ALGORITHMS = ("RS256", "ES256")


def secret_hash(deps: Deps, secret: str) -> str:
    return keyed_hash(deps.keys.hashing, "oidc-secret", secret)


def token_hash(deps: Deps, token: str) -> str:
    return keyed_hash(deps.keys.hashing, "oidc-token", token)


def code_hash(deps: Deps, code: str) -> str:
    return keyed_hash(deps.keys.hashing, "oidc-code", code)


def _checked_uris(uris: Iterable[str], *, public: bool, what: str) -> list[str]:
    out = []
    for uri in uris:
        problem = redirect_uri_problem(uri, public=public)
        if problem:
            raise ValueError(f"{what}: {problem}")
        if uri not in out:
            out.append(uri)
    return out


async def register(
    deps: Deps,
    *,
    site: str,
    name: str,
    redirect_uris: Iterable[str],
    post_logout_redirect_uris: Iterable[str] = (),
    backchannel_logout_uri: str = "",
    public: bool = False,
    first_party: bool = False,
    id_token_alg: str = "RS256",  # noqa: S107 (an algorithm name)
) -> tuple[App, str | None]:
    """A new app on ``site``; its secret (None for a public app), shown this once."""
    if site not in {s.code for s in deps.sites.sites}:
        raise ValueError(f"unknown site {site!r}")
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise ValueError(f"the app's name must be 1-80 characters, got {len(name)}")
    if id_token_alg not in ALGORITHMS:
        raise ValueError(f"id_token_alg must be RS256 or ES256, got {id_token_alg!r}")
    redirects = _checked_uris(redirect_uris, public=public, what="redirect_uri")
    if not redirects:
        raise ValueError("an app needs at least one redirect URI")
    after_logout = _checked_uris(
        post_logout_redirect_uris, public=public, what="post_logout_redirect_uri"
    )
    if backchannel_logout_uri:
        problem = redirect_uri_problem(backchannel_logout_uri, public=False)
        if problem:
            raise ValueError(f"backchannel_logout_uri: {problem}")
    secret = None if public else new_token(deps.rng, 32)
    now = deps.clock.now()
    app = App(
        id=new_token(deps.rng, 16),
        site=site,
        name=name,
        secret_hash=secret_hash(deps, secret) if secret else "",
        redirect_uris=redirects,
        post_logout_redirect_uris=after_logout,
        backchannel_logout_uri=backchannel_logout_uri,
        public=public,
        first_party=first_party,
        id_token_alg=id_token_alg,
        created_at=now,
    )
    async with deps.uow() as uow:
        await uow.apps.add_app(app)
        await uow.commit()
    return app, secret


async def list_apps(deps: Deps, site: str | None = None) -> list[App]:
    async with deps.uow() as uow:
        return await uow.apps.list_apps(site)


async def remove(deps: Deps, site: str, app_id: str) -> bool:
    """The app goes with its grants, tokens and consents: nothing it holds works after."""
    async with deps.uow() as uow:
        gone = await uow.apps.remove_app(site, app_id)
        await uow.commit()
    return gone


async def rotate_secret(deps: Deps, site: str, app_id: str) -> str:
    """A new secret for a confidential app; the old one stops working at once."""
    async with deps.uow() as uow:
        app = await uow.apps.get_app(site, app_id)
        if app is None:
            raise ValueError(f"no app {app_id!r} on site {site!r}")
        if app.public:
            raise ValueError("a public app has no secret to rotate")
        secret = new_token(deps.rng, 32)
        await uow.apps.update_app(
            site, app_id, secret_hash=secret_hash(deps, secret), secret_rotated_at=deps.clock.now()
        )
        await uow.commit()
    return secret


@dataclass(frozen=True, slots=True)
class ClientCheck:
    """The authenticated app (None when refused) and whether refusals from this address
    have passed the limit (then even a right secret waits)."""

    app: App | None
    throttled: bool = False


def _failure_key(deps: Deps, client_id: str, ip: str) -> str:
    return keyed_hash(deps.keys.hashing, "oidc-client-failures", f"{client_id}\0{ip}")


async def authenticate(
    deps: Deps, *, site: str, client_id: str, secret: str | None, ip: str
) -> ClientCheck:
    """The app if ``secret`` is its own (a confidential app) or absent (a public app).
    Unknown ids, wrong or missing secrets and a secret sent by a public app all fail alike,
    and count."""
    now = deps.clock.now()
    window = window_start(now, FAILURE_WINDOW)
    key = _failure_key(deps, client_id, ip)
    async with deps.uow() as uow:
        failures = await uow.counters.count(site, FailureScope.CLIENT_AUTH, key, window)
        if failures >= MAX_FAILURES:
            return ClientCheck(None, throttled=True)
        app = await uow.apps.get_app(site, client_id)
        if app is not None and _secret_ok(deps, app, secret):
            return ClientCheck(app)
        await uow.counters.hit(site, FailureScope.CLIENT_AUTH, key, window, now)
        await uow.commit()
    return ClientCheck(None)


def _secret_ok(deps: Deps, app: App, secret: str | None) -> bool:
    if app.public:
        return secret is None
    if not secret or not app.secret_hash:
        return False
    return same_secret(secret_hash(deps, secret), app.secret_hash)
