"""``entryway accounts suspend|lift|lock|unlock`` and ``entryway staff token
add|list|revoke``: parse, call flows.trust.measures, flows.trust.locking and
flows.staff.tokens, print.

The operator's command line acts as nobody on the staff log (``by="cli"``); it works on the
configured database, or on a demo's folder with ``--data DIR`` as ``entryway staff`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from entryway.core.local_time import day_starts, site_time
from entryway.errors import EntrywayError
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff import tokens
from entryway.flows.trust import locking, measures
from entryway.staff_cli import DemoSettings, settings_for, with_deps

CLI = Requester(ip="", user_agent="entryway accounts")


def _data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, help="a demo's folder (as given to entryway demo --data)"
    )


def add_accounts_parser(sub: Any) -> None:
    """The ``accounts`` command: suspend an account, lift a suspension, lock, unlock."""
    accounts = sub.add_parser(
        "accounts", help="suspend customer accounts, lift suspensions, lock and unlock them"
    )
    commands = accounts.add_subparsers(dest="accounts_command", required=True)
    suspend = commands.add_parser(
        "suspend", help="suspend an account; the customer is emailed the statement of reasons"
    )
    suspend.add_argument("--site", required=True)
    suspend.add_argument("--identifier", required=True, help="its email or mobile phone number")
    suspend.add_argument("--reason", required=True, help="a code of SUSPENSION_REASONS")
    suspend.add_argument("--facts", required=True, help="what happened, in plain words")
    suspend.add_argument(
        "--until",
        help="YYYY-MM-DD: it ends as that day starts on the site's clock (default: indefinite)",
    )
    suspend.add_argument(
        "--automated", action="store_true", help="automated means flagged this account"
    )
    _data(suspend)
    lift = commands.add_parser("lift", help="lift a suspension; the customer is told")
    lift.add_argument("--site", required=True)
    lift.add_argument(
        "--suspension",
        required=True,
        help="the suspension's id; write --suspension=ID, since an id may begin with '-'",
    )
    lift.add_argument("--reason", required=True)
    _data(lift)
    lock = commands.add_parser(
        "lock",
        help="lock an account until unlocked: signs it and its apps out everywhere; the "
        "customer is told",
    )
    unlock = commands.add_parser("unlock", help="lift a lock by our staff; the customer is told")
    for parser in (lock, unlock):
        parser.add_argument("--site", required=True)
        parser.add_argument("--identifier", required=True, help="its email or mobile phone number")
        parser.add_argument("--reason", required=True, help="why, for the logs")
        _data(parser)


def add_token_parser(commands: Any) -> None:
    """``staff token``: the admin API's tokens of trust staff members."""
    token = commands.add_parser("token", help="admin API tokens of trust staff")
    sub = token.add_subparsers(dest="token_command", required=True)
    add = sub.add_parser("add", help="make a token for a trust staff member; printed once")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="what it is for, e.g. fraud-scoring")
    add.add_argument("--days", type=int, default=90, help="it expires after this many days")
    _data(add)
    listing = sub.add_parser("list", help="list tokens with their owner and expiry")
    _data(listing)
    revoke = sub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", help="the token's id; write -- ID, since an id may begin with '-'")
    _data(revoke)


def run_accounts(args: argparse.Namespace, demo_settings: DemoSettings) -> int:
    """Run one accounts subcommand; errors are printed with exit code 1."""
    name = args.accounts_command

    async def act(deps: Deps) -> None:
        if args.site not in {s.code for s in deps.sites.sites}:
            raise ValueError(f"unknown site {args.site!r}")
        site = deps.site(args.site)
        if name == "suspend":
            until = day_starts(args.until, site) if args.until else None
            account_id = await measures.account_by_identifier(deps, site.code, args.identifier)
            done = await measures.suspend(
                deps,
                None,
                site=site.code,
                account_id=account_id,
                reason=args.reason,
                facts=args.facts,
                until=until,
                automated=args.automated,
                who=CLI,
                by="cli",
            )
            ends = f"until {site_time(done.until, site)}" if done.until else "indefinitely"
            print(f"Suspended {ends}. Suspension id: {done.id}")
            # With "=": an id may begin with "-", which a space would read as an option.
            lift = f"entryway accounts lift --site {site.code} --suspension={done.id}"
            print(f'To lift it: {lift} --reason "..."')
            if done.appeal_until:
                print(f"Appeals close {site_time(done.appeal_until, site)}.")
            else:
                print("This reason cannot be appealed.")
        elif name in ("lock", "unlock"):
            await _lock_or_unlock(deps, args, name)
        else:
            lifted = await measures.lift(
                deps,
                None,
                site=site.code,
                suspension_id=args.suspension,
                reason=args.reason,
                who=CLI,
                by="cli",
            )
            print(f"Lifted suspension {lifted.id}; the customer is told they can sign in again.")

    return _run(f"entryway accounts {name}", args, demo_settings, act)


async def _lock_or_unlock(deps: Deps, args: argparse.Namespace, name: str) -> None:
    account_id = await measures.account_by_identifier(deps, args.site, args.identifier)
    act = locking.lock_account if name == "lock" else locking.unlock_account
    done = await act(
        deps, None, site=args.site, account_id=account_id, reason=args.reason, who=CLI, by="cli"
    )
    if name == "lock":
        print(
            f"Locked account {done.account_id} until unlocked; its sessions ended and "
            f"{done.apps_revoked} app grant(s) were revoked. The customer is told."
        )
    else:
        print(f"Unlocked account {done.account_id}; the customer is told they can sign in.")


def run_token(args: argparse.Namespace, demo_settings: DemoSettings) -> int:
    """Run one ``staff token`` subcommand; errors are printed with exit code 1."""
    name = args.token_command

    async def act(deps: Deps) -> None:
        if name == "add":
            made, secret = await tokens.add_token(deps, args.email, args.name, args.days)
            print(f"Token {made.id} for {args.email.strip().lower()} ({made.name}).")
            print("Copy it now; it is not shown again:")
            print(secret)
            print(f"Expires {made.expires_at:%Y-%m-%d %H:%M} UTC.")
        elif name == "list":
            rows = await tokens.list_tokens(deps)
            if not rows:
                print("No tokens.")
            now = deps.clock.now()
            for made, email in rows:
                if made.revoked_at is not None:
                    state = f"revoked {made.revoked_at:%Y-%m-%d}"
                elif made.expires_at <= now:
                    state = "expired"
                else:
                    state = "active"
                used = f"{made.last_used_at:%Y-%m-%d}" if made.last_used_at else "never"
                print(
                    f"{made.id}\t{email}\t{made.name}\texpires {made.expires_at:%Y-%m-%d}"
                    f"\tlast used {used}\t{state}"
                )
        elif await tokens.revoke_token(deps, args.id):
            print(f"Revoked token {args.id}; it is refused from now on.")
        else:
            raise ValueError(f"no token {args.id!r} to revoke (unknown, or revoked already)")

    return _run(f"entryway staff token {name}", args, demo_settings, act)


def _run(label: str, args: argparse.Namespace, demo_settings: DemoSettings, act: Any) -> int:
    settings = settings_for(args.data, demo_settings)
    try:
        asyncio.run(with_deps(settings, act))
    except (EntrywayError, ValueError) as exc:
        print(f"{label}: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    return 0
