"""Operator commands: ``entryway demo``, ``serve``, ``db upgrade``. No business logic here."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import uvicorn

from entryway import __version__
from entryway.adapters.sql.database import Database
from entryway.bootstrap import (
    UnsafeSettings,
    app_for,
    build,
    configure_logging,
    demo_secret,
)
from entryway.flows import demo as demo_flow
from entryway.flows.demo import DEMO_PASSWORD
from entryway.settings import Settings, demo_sites, load_settings


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

    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args.host, args.port, args.data, args.shoppers)
        if args.command == "serve":
            settings = load_settings(host=args.host, port=args.port)
            return _serve(settings, migrate=args.migrate)
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
    )


def _demo(host: str, port: int, data: Path, shoppers: int = 0) -> int:
    if not 0 <= shoppers <= 10_000:
        raise SystemExit(f"--shoppers must be between 0 and 10000, got {shoppers}")
    settings = demo_settings(host, port, data)
    asyncio.run(_prepare_demo(settings, shoppers))
    sites = list(settings.sites)
    print("Entryway demo. Sites:")
    for site in sites:
        print(f"  {site.name:15} {site.origin}/")
    print(f"Messages it would send: {sites[0].origin}/dev/outbox")
    print(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for account in demo_flow.DEMO_ACCOUNTS:
        ident = " / ".join(x for x in (account.email, account.phone) if x)
        print(f"  {account.site}: {account.name} <{ident}>")
    if shoppers:
        print(f"  us: shopper1@example.com ... shopper{shoppers}@example.com")
    sys.stdout.flush()
    return _serve(settings, migrate=False)


async def _prepare_demo(settings: Settings, shoppers: int = 0) -> None:
    runtime = build(settings)
    try:
        await runtime.db.upgrade()
        await demo_flow.seed(runtime.deps, shoppers)
    finally:
        await runtime.close()


def _serve(settings: Settings, *, migrate: bool) -> int:
    configure_logging(settings.log_level)
    runtime = build(settings)
    app = app_for(runtime, migrate=migrate)
    uvicorn.run(
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
    )
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
