"""Operator commands for what the service sends out: ``entryway webhooks secret`` and
``entryway webhooks test URL``. No business logic here."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

import httpx

from entryway.adapters.webhooks import SignedEventPoster
from entryway.settings import load_settings
from entryway.settings_webhooks import SECRET_PREFIX, secret_ok

TEST_EVENT = "webhook.test"  # a sample only a test sends: no account, no change


def add_webhooks_parser(sub: Any) -> None:
    hooks = sub.add_parser("webhooks", help="security event webhooks")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    hooks_sub.add_parser("secret", help="print a new secret for a receiver (whsec_...)")
    test = hooks_sub.add_parser(
        "test", help="send a signed sample event to URL, as the service would"
    )
    test.add_argument("url")
    test.add_argument(
        "--secret",
        help="sign with this secret (default: the one ENTRYWAY_WEBHOOKS gives for URL)",
    )


def run_webhooks(args: argparse.Namespace) -> int:
    if args.webhooks_command == "secret":
        print(SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode())
        return 0
    secret = args.secret or _configured_secret(args.url)
    if secret is None:
        print(f"no receiver in ENTRYWAY_WEBHOOKS has the url {args.url!r}; pass --secret")
        return 2
    if not secret_ok(secret):
        print("the secret must be whsec_ and the base64 of 24 to 64 bytes")
        return 2
    return asyncio.run(_send_sample(args.url, secret))


def _configured_secret(url: str) -> str | None:
    for receiver in load_settings().webhooks:
        if receiver.url == url:
            return receiver.secret
    return None


def sample_event(now: datetime) -> dict[str, Any]:
    return {
        "type": TEST_EVENT,
        "timestamp": now.isoformat(),
        "data": {"site": "", "subject": None, "action": TEST_EVENT, "ip": ""},
    }


async def _send_sample(url: str, secret: str) -> int:
    body = json.dumps(sample_event(datetime.now(UTC)), separators=(",", ":"), sort_keys=True)
    event_id = "test_" + secrets.token_urlsafe(12)
    async with httpx.AsyncClient() as http:
        try:
            await SignedEventPoster(http, {url: secret}).post_event(url, event_id, body)
        except (httpx.HTTPError, RuntimeError) as exc:
            print(f"not delivered: {exc or type(exc).__name__}", file=sys.stderr)
            return 1
    print(f"delivered: webhook-id msg_{event_id}")
    return 0
