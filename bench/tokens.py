"""Token endpoint throughput against the signature bound, measured side by side in one run.

Starts the real demo server (``python -m entryway demo``) on a free 127.0.0.1 port, registers
a first-party public app with ``entryway apps add``, signs ``--connections`` demo shoppers in
through the pages and the authorization endpoint, and then measures:

1. raw RS256 signatures per second of an ID token's claims on one thread (the server's
   event loop signs on one core): the bound;
2. refreshes per second (POST /oauth/token, grant_type=refresh_token), each one a rotation
   by conditional write, two new tokens stored as keyed hashes and a signed ID token;
3. userinfo calls per second (GET /oauth/userinfo with the access token);

and prints each rate and the refresh rate's ratio to the bound. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

import signin
from signin import BenchError, CpuWindow, run_async

REDIRECT = "http://127.0.0.1/cb"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def raw_sign_rate(seconds: float) -> float:
    """RS256 signatures per second of an ID token's size, on this thread."""
    key = RSAKey.generate_key(2048, private=True)
    claims = {
        "iss": "http://us.localhost:8000", "sub": "c" * 32, "aud": "bench", "iat": 1,
        "exp": 2, "auth_time": 1, "sid": "s" * 22, "amr": ["pwd"], "acr": "1",
        "at_hash": "a" * 22, "email": "shopper1@example.com", "email_verified": True,
        "name": "Shopper One",
    }  # fmt: skip
    header = {"alg": "RS256", "kid": "k" * 43, "typ": "JWT"}
    n, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        jwt.encode(header, claims, key, algorithms=["RS256"])
        n += 1
    return n / seconds


def register_app(data: Any) -> str:
    """A first-party public app on ``us`` (refresh tokens without offline_access)."""
    out = subprocess.run(
        [sys.executable, "-m", "entryway", "apps", "add", "--data", str(data), "--site", "us",
         "--name", "Bench app", "--redirect-uri", REDIRECT, "--public", "--first-party"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"client_id: (\S+)", out)
    if not found:
        raise BenchError(f"no client id in: {out}")
    return found.group(1)


@dataclass
class Chain:
    """One shopper's tokens, as one keep-alive connection uses them."""

    http: httpx.AsyncClient
    refresh: str = ""
    access: str = ""


async def sign_in(port: int, host: str, client_id: str, identifier: str) -> Chain:
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"host": host}, timeout=30
    )
    page = await http.get("/signin")
    csrf = CSRF.search(page.text)
    assert csrf, page.text[:200]
    r = await http.post("/signin", data={"csrf": csrf.group(1), "identifier": identifier})
    pw = await http.get(r.headers["location"])
    csrf = CSRF.search(pw.text)
    assert csrf
    r = await http.post(
        "/signin/password", data={"csrf": csrf.group(1), "password": signin.PASSWORD}
    )
    if r.status_code != 303 or r.headers["location"] != "/account":
        raise BenchError(f"{identifier} did not sign in: {r.status_code} {r.text[:200]}")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
        "scope": "openid profile email", "state": "s", "nonce": "n",
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
    }  # fmt: skip
    r = await http.get("/oauth/authorize?" + urlencode(query))
    code = parse_qs(urlsplit(r.headers.get("location", "")).query).get("code")
    if r.status_code != 302 or not code:
        raise BenchError(f"no code: {r.status_code} {r.text[:200]}")
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code[0], "redirect_uri": REDIRECT,
              "client_id": client_id, "code_verifier": verifier},
    )  # fmt: skip
    if r.status_code != 200:
        raise BenchError(f"code exchange: {r.status_code} {r.text[:200]}")
    body = r.json()
    http.cookies.clear()  # the token calls carry no session
    return Chain(http=http, refresh=body["refresh_token"], access=body["access_token"])


@dataclass
class Phase:
    done: int = 0
    latencies: list[float] = field(default_factory=list)


async def refresh_loop(chain: Chain, client_id: str, phase: Phase, until: float) -> None:
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        r = await chain.http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": chain.refresh,
                  "client_id": client_id},
        )  # fmt: skip
        if r.status_code != 200:
            raise BenchError(f"refresh: {r.status_code} {r.text[:200]}")
        body = r.json()
        if body["refresh_token"] == chain.refresh or "id_token" not in body:
            raise BenchError("a refresh did not rotate, or came without an ID token")
        chain.refresh, chain.access = body["refresh_token"], body["access_token"]
        phase.done += 1
        phase.latencies.append(time.perf_counter() - t0)


async def userinfo_loop(chain: Chain, phase: Phase, until: float) -> None:
    bearer = {"authorization": f"Bearer {chain.access}"}
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        r = await chain.http.get("/oauth/userinfo", headers=bearer)
        if r.status_code != 200 or "sub" not in r.json():
            raise BenchError(f"userinfo: {r.status_code} {r.text[:200]}")
        phase.done += 1
        phase.latencies.append(time.perf_counter() - t0)


async def measure(args: argparse.Namespace, server: signin.Server) -> dict[str, Any]:
    host = f"us.localhost:{server.port}"
    client_id = register_app(server.data)
    chains = [
        await sign_in(server.port, host, client_id, f"shopper{i + 1}@example.com")
        for i in range(args.connections)
    ]
    results: dict[str, Any] = {}
    try:
        for name in ("refresh", "userinfo"):
            for warm in (True, False):
                phase = Phase()
                seconds = args.warmup if warm else args.seconds
                cpu = CpuWindow(server.pid, os.cpu_count() or 1)
                cpu.start()
                until = time.perf_counter() + seconds
                await asyncio.gather(
                    *(
                        refresh_loop(c, client_id, phase, until)
                        if name == "refresh"
                        else userinfo_loop(c, phase, until)
                        for c in chains
                    )
                )
                cpu.stop()
                if not warm:
                    results[name] = signin.phase_result(phase.done, phase.latencies, cpu)
    finally:
        for c in chains:
            await c.http.aclose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    before = raw_sign_rate(3.0)
    try:
        with signin.demo_server(
            lambda port: f"us.localhost:{port}", shoppers=args.connections
        ) as server:
            results = run_async(measure(args, server))
    except BenchError as exc:
        print(f"INVALID RUN: {exc}", file=sys.stderr)
        return 1
    after = raw_sign_rate(3.0)
    bound = max(before, after)
    print(f"  raw RS256 signs/s (1 thread)   {bound:8.1f}  (best of {before:.1f} and {after:.1f})")
    for name, label in (("refresh", "refreshes/s"), ("userinfo", "userinfo calls/s")):
        got = results[name]
        print(
            f"  {label:<30} {got['per_second']:8.1f}  ({got['count']} in {args.seconds:.0f} s, "
            f"{args.connections} conns)  p50 {got['p50_ms']:.1f} ms  p99 {got['p99_ms']:.1f} ms"
            f"  server CPU {got['server_cpu_ms_each']:.2f} ms each, client "
            f"{got['client_cpu_ms_each']:.2f} ms; foreign {got['foreign_cores']:.2f} cores"
        )
        if got["foreign_cores"] > signin.FOREIGN_LIMIT:
            print("    WARNING: other processes used CPU during this phase; rerun when quiet")
    ratio = results["refresh"]["per_second"] / bound
    print(f"  RATIO (refreshes / raw RS256 signs) = {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
