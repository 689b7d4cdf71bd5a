"""Lockout under load: refusals against the hash bound, and legit p99 under a flood.

One run against the demo server (started with bench/signin.py's helpers, trusting
X-Forwarded-For from 127.0.0.1) measures raw argon2id verifies/s as signin.py does; legit
sign-ins at a fixed Poisson rate, idle and then while another process floods wrong passwords
(figure 2: p99 under flood / idle p99); and 423 refusals/s for a locked account hammered with
wrong and right passwords (figure 1: refusals/s / verifies/s). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import signin
from entryway.adapters.hashing import Argon2Params
from entryway.flows.demo import DEMO_ACCOUNTS
from entryway.settings import load_settings
from signin import BenchError, CpuWindow, Response, quantile, run_async

PROXIES = '["127.0.0.1/32"]'
FLOOD_NET, LOCKER_IP = "198.51.100.", "203.0.113.1"  # documentation ranges
NET_ERRORS = (OSError, EOFError, asyncio.IncompleteReadError, signin.HttpError, ValueError)
Record = Callable[[int, float, float, str], None]  # (index, due, finished, outcome)


def sign_in_request(host: str, ident: str, password: str, ip: str = "", device: str = "") -> bytes:
    fields = {"identifier": ident, "password": password} | ({"device_id": device} if device else {})
    body = json.dumps(fields).encode()
    raw = signin.request_bytes(
        "POST", "/api/v1/sign-in", host, body=body, content_type="application/json"
    )
    return raw.replace(b"\r\n\r\n", f"\r\nX-Forwarded-For: {ip}\r\n\r\n".encode(), 1) if ip else raw


def outcome(response: Response) -> str:
    """session | checked (401: the password was hashed) | locked (423) | wait or busy_network
    (429; the network refusal says Retry-After: 600) | the unexpected answer itself."""
    try:
        body = json.loads(response.body) if response.body else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status == 200:
        return "session" if body.get("session_token") else f"200 next={body.get('next')}"
    code = (body.get("error") or {}).get("code", "?")
    if response.status == 429 and code == "sign_in_throttled":
        return "busy_network" if response.header(b"retry-after") == b"600" else "wait"
    known = {(401, "sign_in_failed"): "checked", (423, "account_locked"): "locked"}
    return known.get((response.status, code), f"{response.status} {code}")


class Pool:
    """Keep-alive connections to the server, opened on demand up to ``limit``."""

    def __init__(self, port: int, limit: int) -> None:
        self.port, self.limit, self.opened = port, limit, 0
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def send(self, request: bytes) -> Response:
        conn = None
        while self.idle and conn is None:
            reader, writer, used = self.idle.pop()
            if time.monotonic() - used < 3.0:  # uvicorn drops connections idle for 5 s
                conn = reader, writer
            else:
                writer.close()
                self.opened -= 1
        if conn is None:
            self.opened += 1
            try:
                conn = await asyncio.open_connection("127.0.0.1", self.port)
            except BaseException:
                self.opened -= 1
                raise
        try:
            conn[1].write(request)
            response = await signin.read_response(conn[0])
        except BaseException:
            self.opened -= 1
            conn[1].close()
            raise
        self.idle.append((*conn, time.monotonic()))
        return response

    async def ask(self, request: bytes) -> str:
        try:
            return outcome(await self.send(request))
        except NET_ERRORS as exc:
            return f"connection error {exc!r}"

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.opened -= len(self.idle)
        self.idle.clear()


async def open_loop(
    pool: Pool, t0: float, arrivals: list[float], make: Callable[[int], bytes], record: Record
) -> int:
    """Send request i at t0 + arrivals[i] (time.monotonic: one clock for all processes on
    Linux) whether or not earlier ones have answered, so latency includes queueing. Returns
    how many were skipped because all of the pool's connections were busy."""
    skipped, tasks = 0, set[asyncio.Task[None]]()

    async def one(i: int, due: float) -> None:
        kind = await pool.ask(make(i))
        record(i, due, time.monotonic(), kind)

    for i, at in enumerate(arrivals):
        if (delay := t0 + at - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if not pool.idle and pool.opened >= pool.limit:  # all busy
            skipped += 1
            continue
        task = asyncio.create_task(one(i, t0 + at))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(set(tasks), timeout=120)
    pool.close()
    return skipped


async def lock_account(port: int, host: str, ident: str) -> dict[str, Any]:
    """Wrong passwords from one address at the pace the server allows (from the 3rd failure it
    answers 429 with Retry-After 1, 2, 4 ... 30 s) until it answers 423: about 91 s."""
    pool, began, answers = Pool(port, 1), time.monotonic(), Counter[str]()
    request, kind = sign_in_request(host, ident, "not-the-password", LOCKER_IP), ""
    while kind != "locked" and time.monotonic() - began < 600:
        response = await pool.send(request)
        answers[kind := outcome(response)] += 1
        if kind == "wait":
            await asyncio.sleep(float(response.header(b"retry-after")) + 0.05)
        elif kind not in ("checked", "locked"):
            break
    pool.close()
    return {"locked": kind == "locked", "seconds": time.monotonic() - began, "answers": answers}


def locker(port: int, host: str, ident: str, out: dict[str, Any]) -> None:
    try:
        out.update(run_async(lock_account(port, host, ident)))
    except Exception as exc:  # reported by main
        out["error"] = repr(exc)


async def hammer(port: int, host: str, args: argparse.Namespace, pid: int) -> dict[str, Any]:
    """Closed loops on many connections, alternately wrong and right password."""
    wrong = sign_in_request(host, args.identifier, "not-the-password-2")
    right = sign_in_request(host, args.identifier, signin.PASSWORD)
    counts: dict[str, Counter[str]] = {"wrong": Counter(), "right": Counter()}
    stop, window = False, [float("inf"), float("inf")]

    async def connection(kind: str, request: bytes) -> None:
        pool = Pool(port, 1)
        while not stop:
            answer = await pool.ask(request)
            if window[0] <= time.monotonic() <= window[1]:
                counts[kind][answer] += 1
        pool.close()

    plan = [("right", right) if i % 2 else ("wrong", wrong) for i in range(args.connections)]
    tasks = [asyncio.create_task(connection(*each)) for each in plan]
    cpu = CpuWindow(pid, os.cpu_count() or 1)
    await asyncio.sleep(args.warmup)
    cpu.start()
    window[0] = time.monotonic()
    await asyncio.sleep(args.seconds)
    window[1] = time.monotonic()
    cpu.stop()
    stop = True
    await asyncio.wait(tasks, timeout=60)
    refused = counts["wrong"]["locked"] + counts["right"]["locked"]
    odd = {f"{k}: {a}": n for k, c in counts.items() for a, n in c.items() if a != "locked"}
    return {
        "refused": refused, "seconds": window[1] - window[0], "unexpected": odd,
        "per_second": refused / (window[1] - window[0]), "cpu": cpu,
        "right_password": sum(counts["right"].values()),
    }  # fmt: skip


async def enrol(port: int, devices: int) -> dict[str, list[bytes]]:
    """Sign-in requests of ``devices`` devices per demo account, each with its own app install
    id and address (10.0.x.y), after one sign-in each so that all are recognised. One at a time
    per account: new devices share the account's budget, and attempts in flight count."""
    users: list[list[bytes]] = []
    for n, demo in enumerate(DEMO_ACCOUNTS):
        ident, host = demo.email or demo.phone or "", f"{demo.site}.localhost:{port}"
        mine = [(f"10.0.{n}.{d + 1}", secrets.token_urlsafe(24)) for d in range(devices)]
        users.append([sign_in_request(host, ident, signin.PASSWORD, *m) for m in mine])

    async def account(mine: list[bytes]) -> None:
        pool = Pool(port, 1)
        for request in mine:
            if (answer := await pool.ask(request)) != "session":
                raise BenchError(f"enrolling a device: {answer} for {request!r}")
        pool.close()

    await asyncio.gather(*(account(mine) for mine in users))
    return {"requests": [request for mine in users for request in mine]}


async def legit_phase(
    port: int, users: list[bytes], arrivals: list[float], t0: float,
    args: argparse.Namespace, pid: int, flood_pid: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Sign-ins at t0 + arrivals, each by a device with no sign-in in flight (a person does
    not sign in twice at once: in-flight attempts count towards the progressive delay)."""
    done: list[tuple[float, float, str]] = []  # (due - t0, latency, outcome)
    free, busy, reused = deque(range(len(users))), dict[int, int](), [0]
    cpu, flood_cpu = CpuWindow(pid, os.cpu_count() or 1), [0.0]

    def make(i: int) -> bytes:
        reused[0] += not free
        busy[i] = free.popleft() if free else i % len(users)
        return users[busy[i]]

    def record(i: int, due: float, finished: float, kind: str) -> None:
        free.append(busy.pop(i))
        done.append((due - t0, finished - due, kind))

    async def window() -> None:
        await asyncio.sleep(max(0.0, t0 + args.warmup - time.monotonic()))
        cpu.start()
        flood_cpu[0] = -sum(signin.thread_cpu(flood_pid).values()) if flood_pid else 0.0
        await asyncio.sleep(args.seconds)
        flood_cpu[0] += sum(signin.thread_cpu(flood_pid).values()) if flood_pid else 0.0
        cpu.stop()

    watch = asyncio.create_task(window())
    skipped = await open_loop(Pool(port, 100_000), t0, arrivals, make, record)
    await watch
    inside = sorted(x for x in done if args.warmup <= x[0] < args.warmup + args.seconds)
    lat = sorted(x[1] for x in inside)
    return {
        "sign_ins": len(inside), "samples": inside, "skipped": skipped, "reused": reused[0],
        "p50": 1000 * quantile(lat, 0.5), "p99": 1000 * quantile(lat, 0.99),
        "failures": dict(Counter(k for _, _, k in done if k != "session")),
        "sessions": sum(k == "session" for _, _, k in done), "cpu": cpu,
        "foreign": max(0.0, cpu.foreign_cores - flood_cpu[0] / max(cpu.wall_s, 1e-9)),
    }  # fmt: skip


def flood_child(port: int, start: float, args: argparse.Namespace, out: Queue[Any]) -> None:
    """The flood, in its own OS process: wrong passwords at a fixed rate, each from one of
    ``--flood-ips`` addresses, at unknown identifiers or (a share) the demo accounts'."""
    sites = args.flood_sites.split(",")
    real = [(d.site, i) for d in DEMO_ACCOUNTS for i in (d.email, d.phone) if i and d.site in sites]
    rng, ips = random.Random(7), args.ips
    plan = [
        (rng.choice(ips), rng.choice(real) if rng.random() < args.flood_real_share
         else (sites[k % len(sites)], f"nobody{k % args.flood_identifiers}@example.net"))
        for k in range(int(args.flood_rate * args.seconds))
    ]  # fmt: skip
    seen: list[tuple[float, float, str]] = []  # (due - start, finished - start, outcome)

    def make(i: int) -> bytes:
        ip, (site, ident) = plan[i]
        return sign_in_request(f"{site}.localhost:{port}", ident, f"guess-{i}", ip)

    def record(i: int, due: float, finished: float, kind: str) -> None:
        seen.append((due - start, finished - start, kind))

    async def flood() -> dict[str, Any]:
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        late, arrivals = time.monotonic() - start, [i / args.flood_rate for i in range(len(plan))]
        skipped = await open_loop(Pool(port, args.flood_concurrency), start, arrivals, make, record)
        return {"late_s": late, "skipped": skipped, "seen": seen}

    out.put(run_async(flood()))


def server_counts(data: Path, ips: list[str]) -> dict[str, Any]:
    """From the database once the server stopped: each checked (hashed) wrong password left
    a sign_in.failed audit row with its address; each session a row."""
    conn = sqlite3.connect(f"file:{data / 'entryway.db'}?mode=ro", uri=True)
    try:
        q = "SELECT ip, site, count(*) FROM audit_log WHERE action = 'sign_in.failed' GROUP BY 1, 2"
        failed = Counter[tuple[str, str]]({(ip, site): n for ip, site, n in conn.execute(q)})
        q = "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM audit_log WHERE "
        sessions, succeeded = conn.execute(q + "action = 'sign_in.succeeded')").fetchone()
    finally:
        conn.close()
    hashed = [sum(n for (at, _), n in failed.items() if at == ip) for ip in ips]
    most = max((n for (at, _), n in failed.items() if at in ips), default=0)
    return {"hashed": hashed, "most": most, "sessions": sessions, "succeeded": succeeded}


def report(args: argparse.Namespace, r: dict[str, Any]) -> list[str]:
    """Print the figures; returns the problems that make the run invalid."""
    idle, busy, flood, ham, db = r["idle"], r["busy"], r["flood"], r["locked"], r["db"]
    bound, got = max(x["per_second"] for x in r["raw"]), Counter(s[2] for s in flood["seen"])
    refused, sent = got["locked"] + got["busy_network"] + got["wait"], sum(got.values())
    last = max((s[1] for s in flood["seen"] if s[2] == "checked"), default=0.0)
    after = sorted(s[1] for s in busy["samples"] if s[0] - args.warmup > last)
    cpu, each = ham["cpu"], " and ".join(f"{x['per_second']:.1f}" for x in r["raw"])
    n, legit = max(ham["refused"], 1), r["enrolled"] + idle["sessions"] + busy["sessions"]
    print(
        f"\n  raw argon2id verifies/s: {bound:.1f} (best of {each}; {args.threads} threads)\n"
        f"  refused/verify ratio: {ham['per_second'] / bound:.1f}x  ({ham['per_second']:.0f} "
        f"refusals/s vs {bound:.1f} verifies/s)\n"
        f"    {ham['refused']} refusals in {ham['seconds']:.1f} s on {args.connections} "
        f"connections, {ham['right_password']} with the right password; not 423 account_locked:"
        f" {ham['unexpected'] or 'none'}; server CPU {1000 * (cpu.loop_s + cpu.other_s) / n:.2f}"
        f" ms per refusal (event loop busy {cpu.loop_s / cpu.wall_s:.0%}); {args.identifier} "
        f"locked after {r['lock']['seconds']:.0f} s of paced guesses {dict(r['lock']['answers'])}"
    )
    print(
        f"  p99 under flood / idle p99: {busy['p99'] / idle['p99']:.1f}x  (p99 {busy['p99']:.0f} "
        f"ms vs {idle['p99']:.0f} ms; p50 {busy['p50']:.0f} vs {idle['p50']:.0f} ms)\n"
        f"    legit: {busy['sign_ins']} and {idle['sign_ins']} sign-ins in the windows, "
        f"{args.legit_rate:g}/s Poisson (same arrival times), by {r['enrolled']} recognised "
        f"devices on the {len(DEMO_ACCOUNTS)} demo accounts, each from its own address; not a "
        f"session: {busy['failures'] or 'none'} under flood, {idle['failures'] or 'none'} idle;"
        f" database: {db['sessions']} session rows for {legit} legit sign-ins counted"
    )
    print(
        f"    flood: another process, {args.flood_rate:g} wrong passwords/s offered for "
        f"{args.seconds:g} s from {len(args.ips)} addresses {args.ips[0]}..{args.ips[-1]}, at "
        f"most {args.flood_concurrency} in flight, at {args.flood_identifiers} unknown "
        f"identifiers and ({args.flood_real_share:.0%}) the demo accounts' identifiers on "
        f"site(s) {args.flood_sites}; sent {sent} ({sent / args.seconds:.0f}/s), "
        f"{flood['skipped']} not sent (all in flight)"
    )
    print(
        f"    flood checked (hashed): {got['checked']} answered 401; {sum(db['hashed'])} "
        f"sign_in.failed audit rows, per address {db['hashed']}, at most {db['most']} per "
        f"address and site; refused before hashing: {refused} (423 locked {got['locked']}, 429 "
        f"busy_network {got['busy_network']}, 429 wait {got['wait']}); other: "
        f"{sent - refused - got['checked']}; last 401 {last:.1f} s in"
    )
    print(
        f"    legit due after the last 401: {len(after)}, p99 {1000 * quantile(after, 0.99):.0f}"
        f" ms. Server CPU in the window, flood (idle): event loop {busy['cpu'].loop_s:.1f} s "
        f"({idle['cpu'].loop_s:.1f}), hash threads {busy['cpu'].other_s:.1f} s "
        f"({idle['cpu'].other_s:.1f}) of {2 * args.seconds:g} core-seconds\n"
        "  flood window by slice (legit by due time, flood by answer time):"
    )
    step, t = max(1.0, args.seconds / 8), 0.0
    while t < args.seconds:
        lat = sorted(x[1] for x in busy["samples"] if t <= x[0] - args.warmup < t + step)
        got_now = Counter(s[2] for s in flood["seen"] if t <= s[1] < t + step)
        print(
            f"    {t:5.1f}-{t + step:<5.1f}s  legit {len(lat):3d}  p50 "
            f"{1000 * quantile(lat, 0.5):5.0f}  max {1000 * quantile(lat, 1.0):5.0f} ms | flood: "
            + ", ".join(f"{k} {n}" for k, n in sorted(got_now.items()))
        )
        t += step
    problems = (
        [f"answers other than 423 while locked: {ham['unexpected']}"] if ham["unexpected"] else []
    )
    for name, phase in (("idle", idle), ("under flood", busy)):
        if phase["failures"] or phase["skipped"]:
            problems.append(f"legit sign-ins {name} without a session: {phase['failures']}")
        if phase["reused"]:
            print(f"  warning: {phase['reused']} legit sign-ins {name} from a busy device")
    if got["session"] or not legit == db["sessions"] == db["succeeded"]:
        problems.append(f"{legit} legit sign-ins but {db} in the database")
    if flood["late_s"] > 0.5:
        problems.append(f"the flood started {flood['late_s']:.1f} s late")
    for name, cores in r["foreign"].items():
        if cores > signin.FOREIGN_LIMIT:
            print(f"  warning: other processes used {cores:.2f} cores during {name}: rerun")
    return problems


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=20.0, help="measured window per phase")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up before each window")
    p.add_argument("--raw-seconds", type=float, default=10.0, help="each raw verify window")
    p.add_argument("--threads", type=int, default=cores, help="raw verify threads")
    p.add_argument("--connections", type=int, default=32, help="connections at the lock")
    p.add_argument("--site", default="us", help="site of the account to lock")
    p.add_argument("--identifier", default="jane@example.com", help="account to lock")
    p.add_argument("--legit-rate", type=float, default=20.0, help="legit sign-ins/s (Poisson)")
    p.add_argument("--legit-devices", type=int, default=50, help="devices per demo account")
    p.add_argument("--flood-rate", type=float, default=200.0, help="flood attempts/s offered")
    p.add_argument("--flood-ips", type=int, default=5, help="attacker addresses")
    p.add_argument("--flood-identifiers", type=int, default=2000, help="unknown identifiers")
    p.add_argument("--flood-real-share", type=float, default=0.1, help="share at demo accounts")
    p.add_argument("--flood-concurrency", type=int, default=64, help="flood connections")
    p.add_argument("--flood-sites", default="us", help="sites flooded (us,uk,ca: all three)")
    args = p.parse_args(argv)
    if min(args.seconds, args.raw_seconds, args.legit_rate, args.flood_rate) <= 0:
        p.error("--seconds, --raw-seconds, --legit-rate and --flood-rate must be > 0")
    if not (0 < args.legit_devices <= 250 and 0 < args.flood_ips <= 250):
        p.error("--legit-devices and --flood-ips: 1 to 250 (one address each)")
    args.ips = [f"{FLOOD_NET}{i + 1}" for i in range(args.flood_ips)]
    os.environ["ENTRYWAY_TRUSTED_PROXIES"] = PROXIES  # the server inherits the environment
    settings = load_settings()
    params = Argon2Params(
        memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
    )
    env = ", ".join(sorted(k for k in os.environ if k.startswith("ENTRYWAY_")))
    print(
        f"entryway lockout bench: {cores} cores, argon2id m={params.memory_kib} KiB "
        f"t={params.time_cost}, hash pool {settings.hash_concurrency}; lock after "
        f"{settings.lock_after_failures}, delay from {settings.delay_after_failures}, address "
        f"refused after {settings.ip_refuse_after}; the server inherits {env}"
    )
    rng, arrivals = random.Random(42), [0.0]
    while arrivals[-1] < args.warmup + args.seconds:
        arrivals.append(arrivals[-1] + rng.expovariate(args.legit_rate))
    arrivals = arrivals[1:-1]
    ctx = multiprocessing.get_context("spawn")
    out: Queue[Any] = ctx.Queue()
    r: dict[str, Any] = {"raw": [], "lock": {}, "foreign": {}}
    with signin.demo_server(lambda port: f"{args.site}.localhost:{port}") as server:
        port, host = server.port, f"{args.site}.localhost:{server.port}"
        users = run_async(enrol(port, args.legit_devices))["requests"]
        r["enrolled"] = len(users)
        lock = threading.Thread(
            target=locker, args=(port, host, args.identifier, r["lock"]), daemon=True
        )
        lock.start()
        print(f"  server pid {server.pid} on 127.0.0.1:{port}; {len(users)} devices enrolled")

        def raw(name: str) -> None:
            cpu = CpuWindow(server.pid, cores)
            r["raw"].append(
                signin.raw_verify_rate(params, args.threads, args.raw_seconds, 1.0, cpu)
            )
            r["foreign"][name] = cpu.foreign_cores
            print(f"  {name:<32} {r['raw'][-1]['per_second']:8.1f} verifies/s")

        raw("raw argon2id (before)")
        t0 = time.monotonic() + 0.2
        r["idle"] = run_async(legit_phase(port, users, arrivals, t0, args, server.pid))
        r["foreign"]["legit, idle"] = r["idle"]["foreign"]
        print(f"  {'legit sign-ins, idle':<32} p99 {r['idle']['p99']:6.0f} ms")
        t0 = time.monotonic() + max(0.2, 3.0 - args.warmup)  # the child takes ~1 s to start
        child = ctx.Process(target=flood_child, args=(port, t0 + args.warmup, args, out))
        child.start()
        r["busy"] = run_async(
            legit_phase(port, users, arrivals, t0, args, server.pid, child.pid or 0)
        )
        r["flood"] = out.get(timeout=300)
        child.join(timeout=30)
        r["foreign"]["legit, under flood (flood process excluded)"] = r["busy"]["foreign"]
        print(f"  {'legit sign-ins, under flood':<32} p99 {r['busy']['p99']:6.0f} ms")
        raw("raw argon2id (after)")
        if lock.is_alive():
            print(f"  waiting for {args.identifier} to lock (the progressive delay paces guesses)")
        lock.join(timeout=600)
        if not r["lock"].get("locked"):
            raise BenchError(f"could not lock {args.identifier}: {r['lock']}")
        r["locked"] = run_async(hammer(port, host, args, server.pid))
        r["foreign"]["the locked account"] = r["locked"]["cpu"].foreign_cores
        print(f"  {'refused while locked':<32} {r['locked']['per_second']:8.1f} /s")
        server.stop()
        r["db"] = server_counts(server.data, args.ips)
    for problem in (problems := report(args, r)):
        print(f"  !!! {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted; the demo server was stopped", file=sys.stderr)
        sys.exit(130)
