"""Operator commands: ``entryway demo``, ``serve``, ``db upgrade``, ``staff``, ``accounts``,
``apps``, ``keys``, ``webhooks``, ``dkim``.
No business logic here."""

from __future__ import annotations

import argparse
import asyncio
import functools
import secrets
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from entryway import __version__
from entryway.adapters.loopback import LoopbackTransport
from entryway.adapters.sql.database import Database
from entryway.apps_cli import add_apps_parser, add_keys_parser, run_apps, run_keys
from entryway.bootstrap import (
    UnsafeSettings,
    app_for,
    build,
    configure_logging,
    demo_secret,
)
from entryway.flows import demo as demo_flow
from entryway.flows import housekeeping
from entryway.flows.apps.demo import DemoShop, register_demo_shop
from entryway.flows.apps.keys import ensure_keys
from entryway.flows.demo import DEMO_PASSWORD
from entryway.flows.staff import demo as staff_demo
from entryway.ops_cli import add_dkim_parser, add_webhooks_parser, run_dkim, run_webhooks
from entryway.settings import Settings, demo_sites, load_settings
from entryway.staff_cli import CONSOLE_FILE, add_staff_parser, run_staff
from entryway.trust_cli import add_accounts_parser, add_token_parser, run_accounts, run_token

GRACEFUL_STOP_SECONDS = 5  # requests in flight get this long to finish after Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="entryway", description="Sign-in and account recovery for regional store sites."
    )
    parser.add_argument("--version", action="version", version=f"entryway {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", help="run the demo: SQLite, three sites, demo accounts, /dev/outbox"
    )
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument(
        "--data",
        type=Path,
        default=Path("var/demo"),
        help="folder for the demo database and key (default: var/demo)",
    )
    demo.add_argument(
        "--shoppers",
        type=int,
        default=0,
        help="also create shopper1..N@example.com on the US site (for load tests)",
    )

    serve = sub.add_parser("serve", help="run the service from ENTRYWAY_* settings")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.add_argument("--migrate", action="store_true", help="upgrade the schema first")

    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="bring the schema up to date")
    db_sub.add_parser("sweep", help="delete what has expired, in small batches, to the end")

    add_token_parser(add_staff_parser(sub))
    add_accounts_parser(sub)
    add_apps_parser(sub)
    add_keys_parser(sub)
    add_webhooks_parser(sub)
    add_dkim_parser(sub)

    args = parser.parse_args(argv)
    try:
        if args.command == "staff" and args.staff_command == "token":
            return run_token(args, demo_settings)
        if args.command == "staff":
            return run_staff(args, demo_settings)
        if args.command == "accounts":
            return run_accounts(args, demo_settings)
        if args.command == "apps":
            return run_apps(args, demo_settings)
        if args.command == "keys":
            return run_keys(args, demo_settings)
        if args.command == "webhooks":
            return run_webhooks(args)
        if args.command == "dkim":
            return run_dkim(args)
        if args.command == "demo":
            return _demo(args.host, args.port, args.data, args.shoppers)
        if args.command == "serve":
            settings = load_settings(host=args.host, port=args.port)
            return _serve(settings, migrate=args.migrate)
        if args.db_command == "sweep":
            return _sweep(load_settings())
        return _upgrade(load_settings())
    except UnsafeSettings as exc:
        print(exc, file=sys.stderr)
        return 2


def demo_settings(host: str, port: int, data: Path) -> Settings:
    """Demo defaults under whatever the environment sets (the environment wins)."""
    base = load_settings()
    return load_settings(
        demo=True,
        host=host,
        port=port,
        secret_key=base.secret_key or demo_secret(data),
        database_url=base.database_url
        if "database_url" in base.model_fields_set
        else f"sqlite:///{(data / 'entryway.db').resolve()}",
        sites=base.sites or demo_sites(port),
        site_aliases=base.site_aliases or {f"127.0.0.1:{port}": "us", f"localhost:{port}": "us"},
        console_url=base.console_url or f"http://console.localhost:{port}",
    )


def _demo(host: str, port: int, data: Path, shoppers: int = 0) -> int:
    if not 0 <= shoppers <= 10_000:
        raise SystemExit(f"--shoppers must be between 0 and 10000, got {shoppers}")
    settings = demo_settings(host, port, data)
    seeded, staff, shops = asyncio.run(_prepare_demo(settings, shoppers))
    # `entryway staff ... --data DIR` reads this, so its links name this demo's console.
    (data / CONSOLE_FILE).write_text(settings.console_url + "\n")
    print(demo_banner(settings, seeded, data, staff), flush=True)
    print(f"Demo shop (signs in with OpenID Connect): http://{shops[0].host}", flush=True)
    return _serve(settings, migrate=False, wrap=functools.partial(_with_shop, settings, shops))


def _with_shop(settings: Settings, shops: list[DemoShop], app: ASGIApp) -> ASGIApp:
    """The demo's Entryway app with the demo shop in front of it, on the shops' hosts."""
    with warnings.catch_warnings():
        # authlib's httpx client announces a successor package on import; the shop is a
        # demo of a relying party, and every other command has no need to say so.
        warnings.simplefilter("ignore", DeprecationWarning)
        from entryway.shop.app import ShopConfig, create_shop, host_dispatch

    by_site = {s.code: s for s in settings.sites}
    configs = [
        ShopConfig(
            host=shop.host,
            issuer=by_site[shop.app.site].origin,
            client_id=shop.app.id,
            client_secret=shop.secret,
            region=by_site[shop.app.site].name,
        )
        for shop in shops
    ]
    front = create_shop(configs, cookie_key=secrets.token_bytes(32), transport=LoopbackTransport())
    return host_dispatch(app, front, {c.host for c in configs})


def demo_banner(
    settings: Settings,
    seeded: demo_flow.Seeded,
    data: Path,
    staff: list[staff_demo.DemoStaff] | None = None,
) -> str:
    """What the demo prints at start: its sites, its accounts and how to start afresh."""
    sites = list(settings.sites)
    lines = ["Entryway demo. Sites:"]
    lines += [f"  {site.name:15} {site.origin}/" for site in sites]
    lines.append(f"Messages it would send: {sites[0].origin}/dev/outbox")

    def listed(accounts: list[demo_flow.DemoAccount]) -> list[str]:
        return [
            f"  {a.site}: {a.name} <{' / '.join(x for x in (a.email, a.phone) if x)}>"
            for a in accounts
        ]

    if seeded.with_password:
        lines.append(f"Demo accounts (password: {DEMO_PASSWORD}):")
        lines += listed(seeded.with_password)
    if seeded.without_password:
        lines.append("Demo accounts whose password is no longer the demo password:")
        lines += listed(seeded.without_password)
    if seeded.shoppers:
        lines.append("Load-test shoppers (made with the demo password, not checked since):")
        lines.append(f"  us: shopper1@example.com ... shopper{seeded.shoppers}@example.com")
    if staff:
        lines.append(f"Staff console: {settings.console_url}/")
        for member in staff:
            roles = ", ".join(sorted(r.value for r in member.roles))
            if member.link:
                lines.append(f"  {member.email} ({roles}): enrol at {member.link}")
            else:
                lines.append(f"  {member.email} ({roles}): enrolled; sign in at the console")
    lines.append(f"Demo data: {data.resolve()} (stop the demo and delete it to start afresh)")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


async def _prepare_demo(
    settings: Settings, shoppers: int = 0
) -> tuple[demo_flow.Seeded, list[staff_demo.DemoStaff], list[DemoShop]]:
    runtime = build(settings)
    try:
        await runtime.db.upgrade()
        seeded = await demo_flow.seed(runtime.deps, shoppers)
        staff = await staff_demo.seed_staff(runtime.deps, settings.console_url)
        await ensure_keys(runtime.deps)
        shops = await register_demo_shop(runtime.deps, settings.port)
        return seeded, staff, shops
    finally:
        await runtime.close()


class _Server(uvicorn.Server):
    """uvicorn, except that every Ctrl-C (or SIGTERM) only asks for the graceful stop.

    uvicorn's own second Ctrl-C abandons the stop half-way (requests cancelled, the
    lifespan's cleanup skipped, tracebacks printed), and it re-raises the signal once
    stopped, which ends the process in KeyboardInterrupt. The graceful stop is bounded by
    ``timeout_graceful_shutdown`` instead, so nothing is left to force."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.should_exit = True


def _serve(
    settings: Settings, *, migrate: bool, wrap: Callable[[ASGIApp], ASGIApp] | None = None
) -> int:
    configure_logging(settings.log_level)
    runtime = build(settings)
    app: ASGIApp = app_for(runtime, migrate=migrate)
    if wrap is not None:
        app = wrap(app)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level=settings.log_level,
        log_config=None,
        timeout_graceful_shutdown=GRACEFUL_STOP_SECONDS,
    )
    server = _Server(config)
    server.run()
    return 0 if server.started else 3  # 3: it could not start (e.g. the port is taken)


def _sweep(settings: Settings) -> int:
    async def run() -> dict[str, int]:
        runtime = build(settings)
        try:
            done = await housekeeping.sweep(runtime.deps, max_batches=None)
        finally:
            await runtime.close()
        return {job.value: n for job, n in done.items()}

    deleted = asyncio.run(run())
    for job, n in deleted.items():
        print(f"{job:>20}  {n} deleted")
    print(f"swept: {sum(deleted.values())} rows")
    return 0


def _upgrade(settings: Settings) -> int:
    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await db.upgrade()
        finally:
            await db.dispose()

    asyncio.run(run())
    print("database is up to date")
    return 0
