"""A session-checked request against a bare Starlette JSON endpoint, side by side in one run.

Starts the real demo server (``python -m entryway demo``) and a bare Starlette app of one
JSON route (``bare_app.py``) under the same uvicorn settings (uvloop, httptools, no access
log), each on a free 127.0.0.1 port. Signs ``--connections`` demo shoppers in through the
JSON API, then measures with one client, in turn:

1. the bare endpoint: ``GET /`` answering ``{"ok": true}``, the bound for one uvicorn process;
2. the session check: ``GET /api/v1/account`` with each connection's own bearer token (the
   session and its account looked up, the idle deadline extended when due, the answer built);
3. the bare endpoint again, to show drift; the bound is the better of the two.

and prints each rate and RATIO = session checks ÷ bare requests. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

import signin
from signin import BenchError, Load, Server, http_phase, read_response, repeat, run_async

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def bare_server(timeout: float = 30.0) -> Iterator[Server]:
    """``bare_app.py`` on a free port; always stopped on the way out."""
    with tempfile.TemporaryDirectory(prefix="entryway-bare-") as tmp:
        port = signin.free_port()
        log = Path(tmp) / "bare.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(HERE / "bare_app.py"), "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(proc=proc, port=port, data=Path(tmp), log=log)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise BenchError(f"bare app exited:\n{server.log_tail()}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"bare app not up after {timeout:.0f} s")
                time.sleep(0.2)
            yield server
        finally:
            server.stop()


def sign_in_tokens(port: int, host: str, count: int) -> list[str]:
    """``"<session token> <email>"`` for each of ``count`` demo shoppers, signed in through
    the JSON API: each connection sends its token and expects its own shopper back."""
    tokens = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": host}) as client:
        for n in range(1, count + 1):
            email = f"shopper{n}@example.com"
            r = client.post(
                "/api/v1/sign-in", json={"identifier": email, "password": signin.PASSWORD}
            )
            token = r.json().get("session_token") if r.status_code == 200 else None
            if not token:
                raise BenchError(f"sign-in of shopper{n}: {r.status_code} {r.text[:200]}")
            tokens.append(f"{token} {email}")  # what each connection sends, and expects back
    return tokens


def _get(path: str, host: str, token: str = "") -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "User-Agent: entryway-bench/1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def connection(path: str, expect: bytes) -> signin.Connection:
    """A keep-alive connection repeating one GET. Its ``given`` is ``"<token> <email>"``
    (the token rides in the bearer header, and the answer must name that email) or "" (the
    bare endpoint, whose answer must hold ``expect``)."""

    async def run(load: Load, port: int, host: str, given: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        token, _, email = given.partition(" ")
        request = _get(path, host, token)
        wanted = json.dumps(email).encode() if email else expect

        async def attempt() -> str | None:
            writer.write(request)
            response = await read_response(reader)
            if response.status != 200 or wanted not in response.body:
                return f"GET {path}: {response.status} {response.body[:200]!r}"
            return None

        try:
            await repeat(load, attempt)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return run


async def measure(args: argparse.Namespace, demo: Server, bare: Server) -> dict[str, Any]:
    host = f"us.localhost:{demo.port}"
    tokens = sign_in_tokens(demo.port, host, args.connections)
    knobs = {"connections": args.connections, "warmup": args.warmup, "seconds": args.seconds}
    bare_host = f"127.0.0.1:{bare.port}"
    hello = connection("/", b'"ok"')
    before = await http_phase("bare", hello, bare, bare_host, [""], **knobs)
    checked = await http_phase(
        "session", connection("/api/v1/account", b""), demo, host, tokens, **knobs
    )
    after = await http_phase("bare", hello, bare, bare_host, [""], **knobs)
    return {"bare_before": before, "session": checked, "bare_after": after}


def _line(name: str, phase: dict[str, Any]) -> str:
    lat = phase["latency_ms"]
    cpu = phase.get("cpu_ms_per_sign_in", {})
    return (
        f"{name:<34} {phase['per_second']:9.0f}/s   p50 {lat['p50']:6.2f} ms  "
        f"p99 {lat['p99']:6.2f} ms   server CPU {1000 * cpu.get('server_total', 0.0):6.0f} µs"
        f"   foreign {phase['cpu']['foreign_cores']:.2f} cores"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print the result as JSON too")
    args = parser.parse_args(argv)
    with (
        signin.demo_server(lambda port: f"us.localhost:{port}", shoppers=args.connections) as demo,
        bare_server() as bare,
    ):
        result = run_async(measure(args, demo, bare))
    phases = (result["bare_before"], result["session"], result["bare_after"])
    failed = [p for p in phases if p["failures"]]
    if failed:
        for phase in failed:
            print(f"{phase['name']}: {phase['failures']} failures, e.g. {phase['failure_samples']}")
        return 1
    bound = max(result["bare_before"]["per_second"], result["bare_after"]["per_second"])
    print(_line("bare Starlette GET / (before)", result["bare_before"]))
    print(_line("GET /api/v1/account (bearer)", result["session"]))
    print(_line("bare Starlette GET / (after)", result["bare_after"]))
    ratio = result["session"]["per_second"] / bound if bound else 0.0
    print(f"RATIO session checks / bare requests: {ratio:.3f}  (target >= 0.25)")
    # The same comparison by the server's CPU alone: on 2 cores the one-process client may
    # be what holds the bare endpoint back, which the rates cannot show.
    cpu = [p.get("cpu_ms_per_sign_in", {}).get("server_total", 0.0) for p in phases]
    if all(cpu):
        bare_cpu = min(cpu[0], cpu[2])
        print(
            f"server CPU per request: bare {1000 * bare_cpu:.0f} µs, session check "
            f"{1000 * cpu[1]:.0f} µs (ratio {bare_cpu / cpu[1]:.3f})"
        )
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
