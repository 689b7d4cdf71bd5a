"""``entryway apps add|list|remove|rotate-secret`` and ``entryway keys rotate``: parse, call
flows.apps, print. They work on the configured database, or on a demo's folder with
``--data DIR``, as ``entryway staff`` does."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from entryway.errors import EntrywayError
from entryway.flows.apps import clients, keys
from entryway.flows.ports import Deps
from entryway.staff_cli import DemoSettings, settings_for, with_deps


def _data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, help="a demo's folder (as given to entryway demo --data)"
    )


def add_apps_parser(sub: Any) -> None:
    """``apps``: the store's apps that sign customers in through OpenID Connect."""
    apps = sub.add_parser("apps", help="register the store's apps (OpenID Connect clients)")
    commands = apps.add_subparsers(dest="apps_command", required=True)
    add = commands.add_parser("add", help="register an app; prints its client id (and secret)")
    add.add_argument("--site", required=True)
    add.add_argument("--name", required=True, help="shown to customers, e.g. on consent")
    add.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
    add.add_argument(
        "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_uris"
    )
    add.add_argument("--backchannel-logout-uri", default="")
    add.add_argument("--public", action="store_true", help="a native or browser app: no secret")
    add.add_argument(
        "--first-party", action="store_true", help="the store's own app: no consent page"
    )
    add.add_argument("--id-token-alg", default="RS256", choices=keys.ALGORITHMS)
    _data(add)
    listing = commands.add_parser("list", help="list the apps with their redirect URIs")
    listing.add_argument("--site")
    _data(listing)
    for name, text in (
        ("remove", "remove an app: its tokens stop working at once"),
        ("rotate-secret", "a new secret for a confidential app; the old one stops at once"),
    ):
        one = commands.add_parser(name, help=text)
        one.add_argument("--site", required=True)
        one.add_argument("client_id")
        _data(one)


def add_keys_parser(sub: Any) -> None:
    """``keys rotate``: a new signing key, published before it signs."""
    keys_parser = sub.add_parser("keys", help="the keys that sign ID tokens")
    commands = keys_parser.add_subparsers(dest="keys_command", required=True)
    rotate = commands.add_parser(
        "rotate", help="a new signing key: in JWKS now, signing once apps have fetched it"
    )
    rotate.add_argument("--alg", default="all", choices=[*keys.ALGORITHMS, "all"])
    rotate.add_argument(
        "--now", action="store_true", help="sign with it at once (after a leak of the old one)"
    )
    _data(rotate)


def run_apps(args: argparse.Namespace, demo_settings: DemoSettings) -> int:
    """Run one apps subcommand; errors are printed with exit code 1."""
    name = args.apps_command

    async def act(deps: Deps) -> None:
        if name == "add":
            app, secret = await clients.register(
                deps,
                site=args.site,
                name=args.name,
                redirect_uris=args.redirect_uris,
                post_logout_redirect_uris=args.post_logout_uris,
                backchannel_logout_uri=args.backchannel_logout_uri,
                public=args.public,
                first_party=args.first_party,
                id_token_alg=args.id_token_alg,
            )
            site = deps.site(app.site)
            print(f"Registered {app.name} on {site.code}. Issuer: {site.origin}")
            print(f"client_id: {app.id}")
            if secret:
                print("client_secret (copy it now; it is not shown again):")
                print(secret)
            else:
                print("A public app: no secret; it must use PKCE (as every app does).")
        elif name == "list":
            found = await clients.list_apps(deps, args.site)
            if not found:
                print("No apps.")
            for app in found:
                kind = "public" if app.public else "confidential"
                party = "first-party" if app.first_party else "third-party"
                print(f"{app.site}\t{app.id}\t{app.name}\t{kind}, {party}")
                for uri in app.redirect_uris:
                    print(f"\tredirect {uri}")
        elif name == "remove":
            if not await clients.remove(deps, args.site, args.client_id):
                raise ValueError(f"no app {args.client_id!r} on site {args.site!r}")
            print(f"Removed {args.client_id}; its tokens no longer work.")
        else:
            secret = await clients.rotate_secret(deps, args.site, args.client_id)
            print("New client_secret (copy it now; it is not shown again):")
            print(secret)

    return _run(f"entryway apps {name}", args, demo_settings, act)


def run_keys(args: argparse.Namespace, demo_settings: DemoSettings) -> int:
    """``keys rotate``; errors are printed with exit code 1."""

    async def act(deps: Deps) -> None:
        algs = keys.ALGORITHMS if args.alg == "all" else (args.alg,)
        for alg in algs:
            made = await keys.rotate(deps, alg, at_once=args.now)
            starts = f"{made.active_from:%Y-%m-%d %H:%M} UTC"
            print(f"New {alg} key {made.kid}: in JWKS now, signing from {starts}.")

    return _run("entryway keys rotate", args, demo_settings, act)


def _run(label: str, args: argparse.Namespace, demo_settings: DemoSettings, act: Any) -> int:
    settings = settings_for(args.data, demo_settings)
    try:
        asyncio.run(with_deps(settings, act))
    except (EntrywayError, ValueError) as exc:
        print(f"{label}: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    return 0
