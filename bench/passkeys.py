"""Passkey sign-in throughput through the JSON API, beside the password sign-in it replaces,
measured in one run.

Starts the real demo server (``python -m entryway demo``) on a free 127.0.0.1 port, signs
``--connections`` demo shoppers in by password and adds a passkey to each through the API
(a software authenticator here stands in for the phone), and then measures:

1. raw checks per second of one passkey assertion with py_webauthn, on one thread (the
   server's event loop checks on one core): the bound of the crypto part;
2. passkey sign-ins per second: ``POST /api/v1/sign-in/passkey/options`` then
   ``POST /api/v1/sign-in/passkey``, each a fresh challenge taken once, the assertion
   judged, the sign count kept by conditional write and a session opened;
3. password sign-ins per second (``POST /api/v1/sign-in``), bound by argon2id;

and prints each rate, the passkey rate's ratio to the bound, and how many password
sign-ins one passkey sign-in is worth. The client signs each assertion itself (ECDSA P-256)
on the same machine: its CPU is printed beside the server's. Every request comes through
the loopback as a trusted proxy with its own X-Forwarded-For address, as shoppers behind a
store's load balancer would, so the per-address challenge quota does not stop the run.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.passkey_device

from tests.passkey_device import Device

import signin
from signin import BenchError, CpuWindow, run_async
from tokens import Phase


def raw_check_rate(seconds: float) -> float:
    """Assertions checked per second by py_webauthn (ES256), on this thread."""
    from webauthn import verify_authentication_response, verify_registration_response
    from webauthn.helpers import base64url_to_bytes

    device = Device("us.localhost", "http://us.localhost:8000")
    made = json.loads(
        device.create(
            json.dumps(
                {"challenge": "AAAA", "user": {"id": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}
            )
        )
    )
    key = verify_registration_response(
        credential=made,
        expected_challenge=base64url_to_bytes("AAAA"),
        expected_rp_id="us.localhost",
        expected_origin="http://us.localhost:8000",
    ).credential_public_key
    asked = json.dumps({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    answer = json.loads(device.get(asked))
    n, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        verify_authentication_response(
            credential=answer,
            expected_challenge=base64url_to_bytes("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            expected_rp_id="us.localhost",
            expected_origin="http://us.localhost:8000",
            credential_public_key=key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
        n += 1
    return n / seconds


@dataclass
class Shopper:
    http: httpx.AsyncClient
    identifier: str
    device: Device


_ADDRESSES = iter(f"10.{a}.{b}.{c}" for a in range(256) for b in range(256) for c in range(1, 255))


def _from() -> dict[str, str]:
    """A new client address for each request (see the module's docstring)."""
    return {"x-forwarded-for": next(_ADDRESSES)}


async def enrol(port: int, host: str, identifier: str, n: int) -> Shopper:
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"host": host}, timeout=30
    )
    shopper = Shopper(http, identifier, Device(host.split(":")[0], f"http://{host}"))
    r = await http.post(
        "/api/v1/sign-in",
        json={"identifier": identifier, "password": signin.PASSWORD},
        headers=_from(),
    )
    if r.status_code != 200 or not r.json().get("session_token"):
        raise BenchError(f"{identifier} did not sign in: {r.status_code} {r.text[:200]}")
    bearer = {"authorization": f"Bearer {r.json()['session_token']}", **_from()}
    begun = await http.post("/api/v1/account/passkeys/options", headers=bearer)
    if begun.status_code != 200:
        raise BenchError(f"passkey options: {begun.status_code} {begun.text[:200]}")
    made = shopper.device.create(json.dumps(begun.json()["options"]))
    r = await http.post(
        "/api/v1/account/passkeys",
        headers=bearer,
        json={"flow_id": begun.json()["flow_id"], "credential": json.loads(made), "name": f"b{n}"},
    )
    if r.status_code != 201:
        raise BenchError(f"adding a passkey: {r.status_code} {r.text[:200]}")
    return shopper


async def passkey_loop(shopper: Shopper, phase: Phase, until: float) -> None:
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        begun = await shopper.http.post("/api/v1/sign-in/passkey/options", headers=_from())
        if begun.status_code != 200:
            raise BenchError(f"options: {begun.status_code} {begun.text[:200]}")
        answer = shopper.device.get(json.dumps(begun.json()["options"]))
        r = await shopper.http.post(
            "/api/v1/sign-in/passkey",
            headers=_from(),
            json={"flow_id": begun.json()["flow_id"], "credential": json.loads(answer)},
        )
        if r.status_code != 200 or not r.json().get("session_token"):
            raise BenchError(f"passkey sign-in: {r.status_code} {r.text[:200]}")
        phase.done += 1
        phase.latencies.append(time.perf_counter() - t0)


async def password_loop(shopper: Shopper, phase: Phase, until: float) -> None:
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        r = await shopper.http.post(
            "/api/v1/sign-in",
            headers=_from(),
            json={"identifier": shopper.identifier, "password": signin.PASSWORD},
        )
        if r.status_code != 200 or not r.json().get("session_token"):
            raise BenchError(f"password sign-in: {r.status_code} {r.text[:200]}")
        phase.done += 1
        phase.latencies.append(time.perf_counter() - t0)


async def measure(args: argparse.Namespace, server: signin.Server) -> dict[str, Any]:
    host = f"us.localhost:{server.port}"
    shoppers = [
        await enrol(server.port, host, f"shopper{i + 1}@example.com", i)
        for i in range(args.connections)
    ]
    results: dict[str, Any] = {}
    try:
        for name in ("passkey", "password"):
            for warm in (True, False):
                phase = Phase()
                seconds = args.warmup if warm else args.seconds
                cpu = CpuWindow(server.pid, os.cpu_count() or 1)
                cpu.start()
                until = time.perf_counter() + seconds
                loop = passkey_loop if name == "passkey" else password_loop
                await asyncio.gather(*(loop(s, phase, until) for s in shoppers))
                cpu.stop()
                if not warm:
                    results[name] = signin.phase_result(phase.done, phase.latencies, cpu)
    finally:
        for s in shoppers:
            await s.http.aclose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    before = raw_check_rate(3.0)
    os.environ["ENTRYWAY_TRUSTED_PROXIES"] = '["127.0.0.1/32"]'
    try:
        with signin.demo_server(
            lambda port: f"us.localhost:{port}", shoppers=args.connections
        ) as server:
            results = run_async(measure(args, server))
    except BenchError as exc:
        print(f"INVALID RUN: {exc}", file=sys.stderr)
        return 1
    after = raw_check_rate(3.0)
    bound = max(before, after)
    print(
        f"  raw assertion checks/s (1 thread) {bound:8.1f}  (best of {before:.1f} and {after:.1f})"
    )
    for name, label in (("passkey", "passkey sign-ins/s"), ("password", "password sign-ins/s")):
        got = results[name]
        print(
            f"  {label:<33} {got['per_second']:8.1f}  ({got['count']} in {args.seconds:.0f} s, "
            f"{args.connections} conns)  p50 {got['p50_ms']:.1f} ms  p99 {got['p99_ms']:.1f} ms"
            f"  server CPU {got['server_cpu_ms_each']:.2f} ms each, client "
            f"{got['client_cpu_ms_each']:.2f} ms; foreign {got['foreign_cores']:.2f} cores"
        )
        if got["foreign_cores"] > signin.FOREIGN_LIMIT:
            print("    WARNING: other processes used CPU during this phase; rerun when quiet")
    ratio = results["passkey"]["per_second"] / bound
    worth = results["passkey"]["per_second"] / max(results["password"]["per_second"], 1e-9)
    print(f"  RATIO (passkey sign-ins / raw assertion checks) = {ratio:.3f}")
    print(f"  passkey sign-ins per password sign-in = {worth:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
