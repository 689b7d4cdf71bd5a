"""``entryway staff add|list|disable|roles|reset``: parse, call the staff flows, print
(``staff token`` is in trust_cli.py).

Without ``--data`` the commands work on the configured database (ENTRYWAY_* settings, as
``serve`` reads them); with ``--data DIR`` on a demo's folder, whose console URL the demo
wrote there, so the links printed open that demo's console.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from entryway.bootstrap import build
from entryway.core.staff import format_roles, format_sites, parse_roles
from entryway.errors import EntrywayError
from entryway.flows.ports import Deps
from entryway.flows.staff import accounts
from entryway.settings import Settings, load_settings

CONSOLE_FILE = "console.url"


def add_staff_parser(sub: Any) -> Any:
    """The ``staff`` command and its subcommands; their subparsers, for ``staff token``."""
    staff = sub.add_parser("staff", help="staff accounts for the console")
    commands = staff.add_subparsers(dest="staff_command", required=True)

    def command(name: str, help_text: str, *, email: bool = True) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
        if email:
            parser.add_argument("--email", required=True)
        parser.add_argument(
            "--data", type=Path, help="a demo's folder (as given to entryway demo --data)"
        )
        return parser

    def scope(parser: argparse.ArgumentParser, *, required: bool) -> None:
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            required=required,
            help="agent, reviewer, trust or admin; repeat for several",
        )
        sites = parser.add_mutually_exclusive_group(required=required)
        sites.add_argument("--site", action="append", default=[], help="a site code; repeat")
        sites.add_argument("--all-sites", action="store_true")

    add = command("add", "add a staff member and print their enrolment link")
    scope(add, required=True)
    add.add_argument("--name", default="")
    command("list", "list staff, their roles, sites and status", email=False)
    command("disable", "disable a staff member (their sessions end at once)")
    roles = command("roles", "set a staff member's roles (and sites, when given)")
    scope(roles, required=False)
    command("reset", "void the password and second step; print a new enrolment link")
    return commands


DemoSettings = Callable[[str, int, Path], Settings]


def run_staff(args: argparse.Namespace, demo_settings: DemoSettings) -> int:
    """Run one staff subcommand; errors are printed with exit code 1. ``demo_settings`` is
    the demo's own (from cli), so ``--data`` gets exactly the settings the demo runs with."""
    settings = settings_for(args.data, demo_settings)
    name = args.staff_command

    async def act(deps: Deps) -> None:
        if name == "add":
            invited = await accounts.add(
                deps,
                email=args.email,
                roles=parse_roles(args.role),
                sites=args.site,
                all_sites=args.all_sites,
                console_url=settings.console_url,
                name=args.name,
            )
            print(f"Added {invited.email}. Enrolment link (single use, 24 hours):")
            print(invited.link)
        elif name == "list":
            for row in await accounts.listing(deps):
                m = row.member
                locked = " locked" if row.locked else ""
                print(
                    f"{m.email}\t{format_roles(m.roles)}\t"
                    f"{format_sites(m.all_sites, m.sites)}\t{m.status.value}{locked}"
                )
        elif name == "disable":
            member = await accounts.disable(deps, args.email)
            print(f"Disabled {member.email}; their console sessions have ended.")
        elif name == "roles":
            if not args.role:
                raise ValueError("give at least one --role")
            member = await accounts.set_roles(
                deps, args.email, parse_roles(args.role), sites=args.site, all_sites=args.all_sites
            )
            print(
                f"{member.email}: {format_roles(member.roles)} on "
                f"{format_sites(member.all_sites, member.sites)}"
            )
        else:
            invited = await accounts.reset(deps, args.email, settings.console_url)
            print(f"Reset {invited.email}. New enrolment link (single use, 24 hours):")
            print(invited.link)

    try:
        asyncio.run(with_deps(settings, act))
    except (EntrywayError, ValueError) as exc:
        print(f"entryway staff {name}: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    return 0


def settings_for(data: Path | None, demo_settings: DemoSettings) -> Settings:
    """The configured settings, or a demo folder's (``--data``)."""
    if data is None:
        return load_settings()
    path = data / CONSOLE_FILE
    if not path.exists():
        raise SystemExit(f"{data} is not a demo folder: start `entryway demo --data {data}` first")
    console = path.read_text().strip()
    port = urlsplit(console).port or 80
    return demo_settings("127.0.0.1", port, data).model_copy(update={"console_url": console})


async def with_deps(settings: Settings, act: Callable[[Deps], Awaitable[None]]) -> None:
    """Run ``act`` on a runtime built from ``settings``, closed afterwards."""
    runtime = build(settings)
    try:
        await act(runtime.deps)
    finally:
        await runtime.close()
