"""The demo shop's one page, signed out or in, and its stylesheet."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from starlette.responses import HTMLResponse

STYLE = """
:root { --ink: #1d2a2f; --accent: #b4462b; --paper: #fbf7f2; --line: #e4dcd1; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink);
       background: var(--paper); }
header { background: var(--ink); color: #fff; padding: .8rem 1.2rem; display: flex;
         justify-content: space-between; align-items: center; }
header strong { font-size: 1.2rem; letter-spacing: .02em; }
header span { opacity: .8; font-size: .9rem; }
main { max-width: 36rem; margin: 2rem auto; padding: 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: .6rem; padding: 1.4rem; }
h1 { margin-top: 0; font-size: 1.5rem; }
button { width: 100%; padding: .8rem; font-size: 1rem; border-radius: .4rem; cursor: pointer;
         border: 1px solid var(--accent); background: var(--accent); color: #fff; }
button.quiet { background: #fff; color: var(--accent); }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .4rem; border-bottom: 1px solid var(--line);
         vertical-align: top; word-break: break-all; }
th { width: 38%; font-weight: 600; word-break: normal; }
.note { color: #5b6a70; font-size: .9rem; }
.error { background: #fdecea; border: 1px solid #f3b8b0; padding: .6rem; border-radius: .4rem; }
"""

SHOWN = ("name", "email", "email_verified", "sub", "sid", "amr", "acr", "auth_time", "iss", "aud")


def render(
    region: str, issuer: str, claims: dict[str, Any] | None, query: Mapping[str, str]
) -> HTMLResponse:
    """The shop's home page: Sign in, or Hello with the claims the ID token carried."""
    e = html.escape
    if claims is None:
        error = query.get("error", "")
        problem = (
            f'<p class="error" role="alert">Sign-in did not finish ({e(error)}).</p>'
            if error
            else ""
        )
        body = (
            f"<h1>Welcome to Acme Shop</h1>{problem}"
            "<p>Sign in with your Acme Market account to see your orders and check out "
            "faster. The shop never sees your password.</p>"
            '<form method="post" action="/signin"><button>Sign in</button></form>'
        )
    else:
        rows = "".join(
            f"<tr><th>{e(k)}</th><td>{e(_shown(claims[k]))}</td></tr>" for k in SHOWN if k in claims
        )
        body = (
            f"<h1>Hello, {e(str(claims.get('name') or claims.get('email') or 'there'))}</h1>"
            "<p>You are signed in. This is what the shop received in your ID token:</p>"
            f"<table>{rows}</table>"
            '<form method="post" action="/signout"><button class="quiet">Sign out</button></form>'
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Acme Shop</title><link rel="stylesheet" href="/shop.css"></head><body>'
        f"<header><strong>Acme Shop</strong><span>{e(region)}</span></header>"
        f'<main><section class="card">{body}</section>'
        f'<p class="note">Signs in with {e(issuer)} (OpenID Connect, code flow with PKCE).</p>'
        "</main></body></html>"
    )
    csp = (
        "default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'; "
        f"base-uri 'none'; form-action 'self' {issuer}"
    )
    return HTMLResponse(page, headers={"content-security-policy": csp, "cache-control": "no-store"})


def _shown(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)
