"""Sign-in throughput of Entryway beside two peer projects, against the hash bound, in one run.

Every system hashes with argon2id at Entryway's cost (m=19456 KiB, t=2, p=1, 32-byte hash)
and signs in one account per connection (``--connections``, default 12), as
``bench/signin.py`` does. In one run, each system's server alone on the machine in turn:

1. raw argon2id verifies per second with ``os.cpu_count()`` threads, no server running;
2. Entryway (``python -m entryway demo``): the identifier-first pages and the JSON API;
3. django-allauth under gunicorn (``bench/peers/allauth/``): the login page
   (``POST /accounts/login/``) and the headless app API (``POST /_allauth/app/v1/auth/login``);
4. FastAPI-Users under uvicorn (``bench/peers/fastapi_users/``): ``POST /auth/jwt/login``
   (a signed JWT) and ``POST /auth/db/login`` (a token row in the database);
5. the raw verify rate again; the better of the two is the bound.

The connections open one after another (``--burst``: all at once), so that multi-worker
servers get them spread over their workers. It prints one table: sign-ins/s, their ratio to
the raw verify rate, p50/p99 latency, connections left without a sign-in in the window, and
the server's CPU per sign-in (every process of the server: gunicorn's and uvicorn's workers
too). Each peer runs in a virtualenv of its own, made once outside the git tree
(``--venvs``), with pinned versions. Every answer is checked, and after each server stops
its SQLite database is read: the stored hashes must carry the same argon2id parameters and
each counted sign-in must have left its session or token row, or the run is invalid
(exit 1). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import glob
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import signin
from entryway.adapters.hashing import Argon2Params
from entryway.settings import load_settings
from signin import (
    PASSWORD,
    BenchError,
    Connection,
    CpuWindow,
    Load,
    Response,
    Server,
    read_response,
    repeat,
    request_bytes,
    run_async,
)

HERE = Path(__file__).resolve().parent
PEER_CODE = HERE / "peers"
RESULTS = HERE / "results"
DEFAULT_VENVS = Path.home() / ".cache" / "entryway-bench" / "peers"

# The cost every peer is configured with (bench/peers/*): Entryway's defaults.
PEER_PARAMS = Argon2Params(memory_kib=19456, time_cost=2)
STORED_HASH = re.compile(
    r"^(?:argon2)?\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$"
)
DJANGO_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
SYSTEMS = ("entryway", "allauth", "fastapi_users")
RAMP_WAIT = 1.0  # s, at most, between opening one connection and the next


# --------------------------------------------------------------------------- peer virtualenvs


@dataclass(frozen=True)
class PeerEnv:
    name: str
    pins: tuple[str, ...]
    min_python: tuple[int, int]
    why_python: str = ""


PEER_ENVS = {
    "allauth": PeerEnv(
        "allauth",
        (
            "django==6.1.3",
            "django-allauth[headless]==65.21.1",  # headless needs PyJWT, which the extra adds
            "gunicorn==27.0.1",
            "argon2-cffi==25.1.0",
        ),
        (3, 12),
        "Django 6.1 needs Python >= 3.12",
    ),
    "fastapi_users": PeerEnv(
        "fastapi_users",
        (
            "fastapi-users[sqlalchemy]==15.0.5",
            "fastapi-users-db-sqlalchemy==7.0.0",
            "uvicorn[standard]==0.54.0",  # uvloop and httptools, as Entryway's server runs
            "aiosqlite==0.22.1",
            "argon2-cffi==25.1.0",
        ),
        (3, 11),
    ),
}


def python_version(exe: str) -> tuple[int, int] | None:
    """(major, minor) of an interpreter, or None if it does not run (e.g. a pyenv shim)."""
    try:
        out = subprocess.run(
            [exe, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find_python(need: tuple[int, int], given: str | None) -> str:
    """The interpreter for a peer venv: ``--python`` if given, else ``python3`` if new enough,
    else the oldest ``python3.N`` (N up to 14) on the PATH or under pyenv that is, the
    closest to the Python Entryway runs on."""
    if given:
        found = python_version(given)
        if found is None or found < need:
            raise BenchError(f"--python {given} is {found}, the peer needs {need}")
        return given
    candidates = [shutil.which("python3") or ""]
    for minor in range(need[1], 15):
        candidates.append(shutil.which(f"python3.{minor}") or "")
        pattern = str(Path.home() / ".pyenv" / "versions" / f"3.{minor}.*" / "bin" / "python3")
        candidates.extend(sorted(glob.glob(pattern), reverse=True))
    for exe in filter(None, candidates):
        found = python_version(exe)
        if found is not None and found >= need:
            return exe
    raise BenchError(f"no Python >= {need[0]}.{need[1]} found; pass --python")


def ensure_venv(env: PeerEnv, root: Path, python: str | None, reinstall: bool) -> Path:
    """The peer's virtualenv under ``root``, made (once) with ``python3 -m venv`` and pip.

    A file in the venv records the interpreter and the pins it was made with; it is made
    again when either differs. Returns the venv's folder."""
    venv = root / env.name
    exe = find_python(env.min_python, python)
    interpreter = subprocess.run(
        [exe, "-c", "import sys; print(sys.version.split()[0], sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stamp = "\n".join([f"# {interpreter}", *env.pins]) + "\n"
    marker = venv / "bench-requirements.txt"
    if not reinstall and marker.exists() and marker.read_text() == stamp:
        return venv
    print(f"  making the {env.name} venv in {venv} ({interpreter.split()[0]}; once) ...")
    root.mkdir(parents=True, exist_ok=True)
    log = root / f"{env.name}-install.log"
    with log.open("w") as out:
        steps = [
            [exe, "-m", "venv", "--clear", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *env.pins],
        ]
        for step in steps:
            out.write(f"$ {' '.join(step)}\n")
            out.flush()
            done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode:
                raise BenchError(f"{' '.join(step[:4])} failed; see {log}")
    marker.write_text(stamp)
    return venv


def installed(venv: Path) -> dict[str, str]:
    """Name and version of every package in a venv (for the results file)."""
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    try:
        return {p["name"]: p["version"] for p in json.loads(out)}
    except ValueError:
        return {}


# --------------------------------------------------------------------------- peer servers


def _stop_group(server: Server) -> None:
    """Stop a server started in a session of its own: SIGTERM to its main process (gunicorn
    and uvicorn stop their workers), then SIGKILL to whatever of its group is left."""
    server.stop()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.proc.pid, signal.SIGKILL)


def run_setup(argv: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise BenchError(f"{what} failed ({done.returncode}):\n{tail}")


@contextlib.contextmanager
def peer_server(
    name: str,
    argv: Callable[[int], list[str]],
    cwd: Path,
    env: dict[str, str],
    data: Path,
    health: str,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Start ``argv(port)`` on a free port in a process group of its own; wait until
    ``GET health`` answers 200; always stopped on the way out."""
    port = signin.free_port()
    log = data / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv(port),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: workers stopped with it, not by Ctrl-C
        )
    server = Server(proc=proc, port=port, data=data, log=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{name} exited with {proc.returncode}:\n{server.log_tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", health)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    break
            except OSError:
                pass
            finally:
                conn.close()
            if time.monotonic() > deadline:
                raise BenchError(f"{name} not up after {timeout:.0f} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop_group(server)


def peer_env(data: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENTRYWAY_", "DJANGO_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(PEER_DATA=str(data), PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


# --------------------------------------------------------------------------- CPU of a tree


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux /proc; just ``root`` elsewhere)."""
    if root <= 0:
        return []
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [root]
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


@dataclass
class TreeCpuWindow(CpuWindow):
    """signin.CpuWindow over a server's whole process tree (gunicorn's or uvicorn's master
    and every worker): ``loop_s`` sums the main threads (each worker's request loop),
    ``other_s`` every other thread. ``pid`` 0 means no server (the raw phases). A process
    that ends inside the window is not counted (none does in a healthy run)."""

    processes: int = 0
    per_process: dict[int, float] = field(default_factory=dict)

    def _sample(self) -> dict[tuple[int, int], float]:
        return {
            (pid, tid): cpu
            for pid in process_tree(self.pid)
            for tid, cpu in signin.thread_cpu(pid).items()
        }

    def start(self) -> None:
        self._tree = self._sample()
        self._own = time.process_time()
        self._busy = signin.machine_busy_s()
        self._wall = time.perf_counter()

    def stop(self) -> None:
        after = self._sample()
        delta = {k: v - self._tree.get(k, 0.0) for k, v in after.items()}
        self.loop_s = sum(v for (pid, tid), v in delta.items() if pid == tid)
        self.other_s = sum(v for (pid, tid), v in delta.items() if pid != tid)
        self.own_s = time.process_time() - self._own
        self.busy_s = signin.machine_busy_s() - self._busy
        self.wall_s = time.perf_counter() - self._wall
        self.processes = len({pid for pid, _ in after})
        self.per_process = {}
        for (pid, _), spent in delta.items():
            self.per_process[pid] = self.per_process.get(pid, 0.0) + spent


def connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """Established TCP connections to ``port`` held by each of ``pids`` (Linux /proc): how
    the kernel spread the client's connections over the workers."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    held: dict[int, int] = {}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        count = 0
        for fd in fds:
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                count += link.startswith("socket:[") and link[8:-1] in inodes
        if count:
            held[pid] = count
    return held


# --------------------------------------------------------------------------- client


class Link:
    """A client connection that opens again when the server closes it after an answer
    (gunicorn's sync workers answer one request per connection, ``Connection: close``)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = 0

    async def send(self, request: bytes) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.opened += 1
        assert self.reader is not None
        self.writer.write(request)
        response = await read_response(self.reader)
        if response.header(b"connection").lower() == b"close":
            await self.close()
        return response

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def allauth_page_connection(load: Load, port: int, host: str, identifier: str) -> None:
    """Load the login page once (csrftoken cookie and form token), then repeat the POST of
    the login form. Only the csrftoken cookie is sent back, never the sessionid: each POST
    comes from a signed-out browser, so each is a full password check that must answer 302
    to LOGIN_REDIRECT_URL with a new sessionid."""
    link = Link(port)
    try:
        first = await link.send(request_bytes("GET", "/accounts/login/", host))
        jar = first.cookies()
        found = DJANGO_CSRF.search(first.body)
        if first.status != 200 or not found or "csrftoken" not in jar:
            load.fail(f"GET /accounts/login/: {first.status}, cookies {sorted(jar)}")
            return
        post = request_bytes(
            "POST",
            "/accounts/login/",
            host,
            cookies={"csrftoken": jar["csrftoken"]},
            body=urlencode(
                {
                    "csrfmiddlewaretoken": found.group(1).decode(),
                    "login": identifier,
                    "password": PASSWORD,
                }
            ).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        last = ""

        async def attempt() -> str | None:
            nonlocal last
            response = await link.send(post)
            location = response.header(b"location")
            if response.status != 302 or location != b"/signed-in/":
                return f"POST /accounts/login/: {response.status} {location!r}"
            session = response.cookies().get("sessionid", "")
            if not session or session == last:
                return f"POST /accounts/login/: 302 without a new sessionid ({session!r})"
            last = session
            return None

        await repeat(load, attempt)
    finally:
        await link.close()


async def allauth_app_connection(load: Load, port: int, host: str, identifier: str) -> None:
    """Repeat the headless app client's login; each answer must be a 200 whose meta says
    authenticated and carries a new session token, for this connection's own account."""
    link = Link(port)
    post = request_bytes(
        "POST",
        "/_allauth/app/v1/auth/login",
        host,
        body=json.dumps({"email": identifier, "password": PASSWORD}).encode(),
        content_type="application/json",
    )
    last = ""

    async def attempt() -> str | None:
        nonlocal last
        response = await link.send(post)
        if response.status != 200:
            return f"POST /_allauth/app/v1/auth/login: {response.status} {response.body[:200]!r}"
        answer = json.loads(response.body)
        meta, user = answer.get("meta", {}), answer.get("data", {}).get("user", {})
        token = meta.get("session_token", "")
        if meta.get("is_authenticated") is not True or not token or token == last:
            return f"POST /_allauth/app/v1/auth/login: 200 without a new token {answer!r:.200}"
        if user.get("email") != identifier:
            return f"POST /_allauth/app/v1/auth/login: signed in {user.get('email')!r}"
        last = token
        return None

    try:
        await repeat(load, attempt)
    finally:
        await link.close()


def jwt_subject(token: str) -> str:
    """The ``sub`` claim of a JWT (signature not checked: the server signed it)."""
    parts = token.split(".")
    if len(parts) != 3:
        return ""
    payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    return str(json.loads(payload).get("sub", ""))


def fastapi_users_connection(path: str, jwt: bool) -> Connection:
    """Repeat ``POST path`` (OAuth2 password form); each answer must be a 200 with a bearer
    token: for the JWT backend a JWT naming the same user every time (the same user within
    one second gets the same JWT), for the database backend a new random token each time."""

    async def run(load: Load, port: int, host: str, identifier: str) -> None:
        link = Link(port)
        post = request_bytes(
            "POST",
            path,
            host,
            body=urlencode({"username": identifier, "password": PASSWORD}).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        last = ""

        async def attempt() -> str | None:
            nonlocal last
            response = await link.send(post)
            if response.status != 200:
                return f"POST {path}: {response.status} {response.body[:200]!r}"
            answer = json.loads(response.body)
            token = answer.get("access_token", "")
            if answer.get("token_type") != "bearer" or not token:
                return f"POST {path}: 200 without a bearer token {answer!r:.200}"
            if jwt:
                subject = jwt_subject(token)
                if not subject or subject != (last or subject):
                    return f"POST {path}: a JWT for {subject!r}, before for {last!r}"
                last = subject
            else:
                if len(token) < 32 or token == last:
                    return f"POST {path}: 200 without a new token {answer!r:.200}"
                last = token
            return None

        try:
            await repeat(load, attempt)
        finally:
            await link.close()

    return run


async def measure(
    name: str,
    connection: Connection,
    server: Server,
    host: str,
    identifiers: list[str],
    *,
    connections: int,
    warmup: float,
    seconds: float,
    ramp: bool,
) -> dict[str, Any]:
    """signin.http_phase with the CPU of the server's whole process tree, and a Load of its
    own for each connection, so that a connection the server leaves waiting shows: open the
    connections (with ``ramp``, each once the previous one has had its first answer, so that
    the kernel hands it to a worker that is not busy; else all at once), warm up, count the
    sign-ins that finish inside the window, drain, report."""
    loads = [Load() for _ in range(connections)]
    tasks: list[asyncio.Task[None]] = []
    cpu = TreeCpuWindow(server.pid, os.cpu_count() or 1)
    try:
        for n in range(connections):
            tasks.append(
                asyncio.create_task(
                    connection(loads[n], server.port, host, identifiers[n % len(identifiers)])
                )
            )
            # With ramp, the next connection opens once this one has had its first answer,
            # or after RAMP_WAIT s (a server may keep a new connection waiting: that shows
            # as a stuck connection, not here).
            deadline = time.perf_counter() + RAMP_WAIT
            while ramp and time.perf_counter() < deadline:
                if loads[n].successes or loads[n].failures or tasks[-1].done():
                    break
                await asyncio.sleep(0.002)
        await asyncio.sleep(warmup)
        spread = connections_by_process(process_tree(server.pid), server.port)
        cpu.start()
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        cpu.stop()
        t1 = time.perf_counter()
    finally:
        for load in loads:
            load.stop = True
        _, pending = await asyncio.wait(tasks, timeout=60)
        for task in pending:
            task.cancel()
    failures = [f for load in loads for f in load.failures]
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception():
            failures.append(f"connection task failed: {task.exception()!r}")
    if server.proc.poll() is not None:
        failures.append(f"server exited with {server.proc.returncode}")
    each_connection = [sum(t0 <= end <= t1 for end, _ in load.done) for load in loads]
    longest = max((lat for load in loads for _, lat in load.done), default=float("nan"))
    measured = sorted(lat for load in loads for end, lat in load.done if t0 <= end <= t1)
    elapsed, n = t1 - t0, len(measured)
    each = max(n, 1)
    return {
        "name": name,
        "connections": connections,
        "opened": "all at once" if not ramp else "one after another",
        "seconds": elapsed,
        "sign_ins": n,
        "per_second": n / elapsed if elapsed else 0.0,
        "latency_ms": {
            "p50": 1000 * signin.quantile(measured, 0.50),
            "p95": 1000 * signin.quantile(measured, 0.95),
            "p99": 1000 * signin.quantile(measured, 0.99),
            "max": 1000 * measured[-1] if measured else float("nan"),
        },
        "longest_sign_in_ms_drain_included": 1000 * longest,
        "sign_ins_by_connection": each_connection,
        "connections_without_a_sign_in": sum(not c for c in each_connection),
        "successes_total": sum(load.successes for load in loads),
        "failures": len(failures),
        "failure_samples": failures[:5],
        "server_processes": cpu.processes,
        "connections_by_process": {str(k): v for k, v in spread.items()},
        "server_cpu_s_by_process": {str(k): round(v, 3) for k, v in cpu.per_process.items()},
        "cpu_ms_per_sign_in": {
            "server_main_threads": 1000 * cpu.loop_s / each,
            "server_other_threads": 1000 * cpu.other_s / each,
            "server_total": 1000 * (cpu.loop_s + cpu.other_s) / each,
            "client": 1000 * cpu.own_s / each,
        },
        "cpu": {
            "machine_busy_fraction": cpu.busy_s / (cpu.cores * cpu.wall_s) if cpu.wall_s else 0,
            "foreign_cores": cpu.foreign_cores,
            "server_s": cpu.loop_s + cpu.other_s,
            "bench_process_s": cpu.own_s,
        },
    }


# --------------------------------------------------------------------------- stored data


def hash_check(hashes: list[str], params: Argon2Params) -> dict[str, Any]:
    """Every stored hash must be argon2id with ``params`` and a 32-byte digest."""
    bad, forms = [], set()
    for h in hashes:
        found = STORED_HASH.match(h)
        digest = found.group(5) if found else ""
        size = len(base64.b64decode(digest + "=" * (-len(digest) % 4))) if digest else 0
        if found:
            forms.add(h[: found.start(4)].rstrip("$"))
        wanted = (str(params.memory_kib), str(params.time_cost), str(params.parallelism))
        if not found or found.groups()[:3] != wanted or size != 32:
            bad.append(h[:60])
    return {
        "hashes": len(hashes),
        "forms": sorted(forms),
        "ok": bool(hashes) and not bad,
        "bad_samples": bad[:3],
    }


def read_peer_db(path: Path, hashes_sql: str, rows_sql: str) -> tuple[list[str], int]:
    conn = sqlite3.connect(path)
    try:
        hashes = [r[0] for r in conn.execute(hashes_sql)]
        rows = int(conn.execute(rows_sql).fetchone()[0])
    finally:
        conn.close()
    return hashes, rows


# --------------------------------------------------------------------------- the systems


@dataclass
class Plan:
    args: argparse.Namespace
    identifiers: list[str]
    params: Argon2Params
    systems: list[dict[str, Any]] = field(default_factory=list)

    def run(self, name: str, connection: Connection, server: Server, host: str) -> dict[str, Any]:
        result = run_async(
            measure(
                name,
                connection,
                server,
                host,
                self.identifiers,
                connections=self.args.connections,
                warmup=self.args.warmup,
                seconds=self.args.seconds,
                ramp=not self.args.burst,
            )
        )
        if result["failures"]:
            result["server_log_tail"] = server.log_tail(40)
            print(f"  {name}: failures; the server's log ends:\n{result['server_log_tail']}")
        by_cpu = result["server_cpu_s_by_process"]
        busy = sorted((p for p in by_cpu if by_cpu[p] > 0.05), key=by_cpu.get, reverse=True)
        held = result["connections_by_process"]
        split = ", ".join(f"{by_cpu[p]:.1f} s/{held.get(p, 0)} conns" for p in busy)
        print(
            f"  {name:<30} {result['per_second']:8.1f} sign-ins/s "
            f"(other processes: {result['cpu']['foreign_cores']:.2f} cores; server CPU "
            f"and connections by process: {split})"
        )
        return result


def run_entryway(plan: Plan) -> dict[str, Any]:
    def host_of(port: int) -> str:
        return f"us.localhost:{port}"

    with signin.demo_server(host_of, shoppers=len(plan.identifiers)) as server:
        host = host_of(server.port)
        pages = plan.run("Entryway pages", signin.page_connection, server, host)
        api = plan.run("Entryway JSON API", signin.api_connection, server, host)
        server.stop()
        db = signin.check_database(
            server.data, "us", {"web": pages["successes_total"], "api": api["successes_total"]}
        )
        stored, _ = read_peer_db(
            server.data / "entryway.db",
            "SELECT password_hash FROM accounts WHERE site = 'us'",
            "SELECT count(*) FROM accounts WHERE site = 'us'",
        )
    return {
        "system": "entryway",
        "server": "python -m entryway demo: one uvicorn process (uvloop, httptools)",
        "phases": [pages, api],
        "hash_check": hash_check(stored, plan.params),
        "rows_check": {
            "ok": bool(db.get("checked") and db.get("ok")),
            "what": "one session row and one sign_in.succeeded audit row per sign-in",
            **db,
        },
    }


def run_allauth(plan: Plan, venv: Path) -> dict[str, Any]:
    args, code = plan.args, PEER_CODE / "allauth"
    py = str(venv / "bin" / "python")
    threads = args.allauth_threads
    worker = ["--worker-class", "sync"] if threads == 1 else ["--threads", str(threads)]
    with tempfile.TemporaryDirectory(prefix="entryway-peer-allauth-") as tmp:
        data = Path(tmp)
        env = peer_env(
            data,
            PEER_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_SETTINGS_MODULE="peer_site.settings",
        )
        run_setup([py, "manage.py", "migrate", "--noinput", "-v0"], code, env, "migrate")
        run_setup(
            [
                py,
                "manage.py",
                "bench_users",
                "--count",
                str(len(plan.identifiers)),
                "--password",
                PASSWORD,
            ],
            code,
            env,
            "creating the allauth users",
        )

        def argv(port: int) -> list[str]:
            return [
                str(venv / "bin" / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.allauth_workers),
                *worker,
                "--no-control-socket",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
                "peer_site.wsgi:application",
            ]

        with peer_server("gunicorn", argv, code, env, data, "/accounts/login/") as server:
            host = f"127.0.0.1:{server.port}"
            pages = plan.run("allauth pages", allauth_page_connection, server, host)
            app = plan.run("allauth headless app API", allauth_app_connection, server, host)
            _stop_group(server)
        hashes, rows = read_peer_db(
            data / "peer.sqlite3",
            "SELECT password FROM auth_user",
            "SELECT count(*) FROM django_session",
        )
    want = pages["successes_total"] + app["successes_total"]
    kind = "sync" if threads == 1 else f"gthread, {threads} threads each"
    return {
        "system": "allauth",
        "server": f"gunicorn, {args.allauth_workers} workers ({kind})",
        "phases": [pages, app],
        "hash_check": hash_check(hashes, plan.params),
        "rows_check": {
            "ok": rows == want,
            "what": "one django_session row per sign-in",
            "expected": want,
            "django_session_rows": rows,
        },
    }


def run_fastapi_users(plan: Plan, venv: Path) -> dict[str, Any]:
    args, code = plan.args, PEER_CODE / "fastapi_users"
    with tempfile.TemporaryDirectory(prefix="entryway-peer-fastapi-users-") as tmp:
        data = Path(tmp)
        env = peer_env(data, PEER_SECRET=secrets.token_urlsafe(32))
        run_setup(
            [
                str(venv / "bin" / "python"),
                "peer_app.py",
                "--users",
                str(len(plan.identifiers)),
                "--password",
                PASSWORD,
            ],
            code,
            env,
            "creating the FastAPI-Users users",
        )

        def argv(port: int) -> list[str]:
            return [
                str(venv / "bin" / "uvicorn"),
                "peer_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.fastapi_workers),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--no-server-header",
                "--log-level",
                "warning",
            ]

        with peer_server("uvicorn", argv, code, env, data, "/healthz") as server:
            host = f"127.0.0.1:{server.port}"
            jwt = plan.run(
                "FastAPI-Users JWT",
                fastapi_users_connection("/auth/jwt/login", jwt=True),
                server,
                host,
            )
            db = plan.run(
                "FastAPI-Users database token",
                fastapi_users_connection("/auth/db/login", jwt=False),
                server,
                host,
            )
            _stop_group(server)
        hashes, rows = read_peer_db(
            data / "peer.sqlite3",
            'SELECT hashed_password FROM "user"',
            "SELECT count(*) FROM accesstoken",
        )
    return {
        "system": "fastapi_users",
        "server": f"uvicorn, {args.fastapi_workers} workers (uvloop, httptools)",
        "phases": [jwt, db],
        "hash_check": hash_check(hashes, plan.params),
        "rows_check": {
            "ok": rows == db["successes_total"],
            "what": "one accesstoken row per database-token sign-in (none for JWT)",
            "expected": db["successes_total"],
            "accesstoken_rows": rows,
        },
    }


# What each system does per sign-in besides the hash, for the table's last column.
DOES = {
    "Entryway pages": "session row, audit row, lockout count (2 write txns), CSRF",
    "Entryway JSON API": "session row, audit row, lockout count (2 write txns)",
    "allauth pages": "session row, last_login update, failed-login count (cache), CSRF",
    "allauth headless app API": "session row, last_login update, failed-login count (cache)",
    "FastAPI-Users JWT": "signed JWT; no row, no audit, no lockout",
    "FastAPI-Users database token": "token row; no audit, no lockout",
}


# --------------------------------------------------------------------------- report


def table(raw: float, raws: list[dict[str, Any]], systems: list[dict[str, Any]]) -> list[str]:
    """The result table. ``raws[0]`` is the bound. "stuck" counts the connections that
    finished no sign-in inside the window (p50 and p99 cover only the others). "CPU est." is
    the ratio the CPU split predicts (hash CPU per verify ÷ server and client CPU per
    sign-in), as in signin.py: it divides CPU by CPU, so other people's work on the machine
    moves it less."""
    hash_ms = raws[0]["cpu_ms_per_verify"]
    lines = [
        f"{'':<30} {'sign-ins/s':>10} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'stuck':>5} "
        f"{'server CPU':>10} {'CPU est.':>8}  per sign-in besides the hash",
        f"{'raw argon2id verifies/s':<30} {raw:10.1f} {1:6.3f} {'':>7} {'':>7} {'':>5} "
        f"{hash_ms:7.1f} ms {'':>8}  best of "
        + " and ".join(f"{r['per_second']:.1f}" for r in raws),
    ]
    for system in systems:
        for p in system["phases"]:
            lat, cpu = p["latency_ms"], p["cpu_ms_per_sign_in"]
            spent = cpu["server_total"] + cpu["client"]
            p["cpu_ratio_estimate"] = hash_ms / spent if spent else float("nan")
            lines.append(
                f"{p['name']:<30} {p['per_second']:10.1f} {p['per_second'] / raw:6.3f} "
                f"{lat['p50']:7.0f} {lat['p99']:7.0f} {p['connections_without_a_sign_in']:5} "
                f"{cpu['server_total']:7.1f} ms "
                f"{p['cpu_ratio_estimate']:8.3f}  {DOES.get(p['name'], '')}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up before each window")
    parser.add_argument("--connections", type=int, default=12, help="keep-alive connections")
    parser.add_argument("--threads", type=int, default=cores, help="raw verify threads")
    parser.add_argument(
        "--only", default="", help=f"comma-separated systems to run (of {', '.join(SYSTEMS)})"
    )
    parser.add_argument("--venvs", type=Path, default=DEFAULT_VENVS, help="peer venvs' folder")
    parser.add_argument("--python", help="interpreter for the peer venvs (default: found)")
    parser.add_argument("--reinstall", action="store_true", help="make the peer venvs anew")
    parser.add_argument("--allauth-workers", type=int, default=cores, help="gunicorn workers")
    parser.add_argument(
        "--allauth-threads", type=int, default=1, help="threads per worker (1: sync worker)"
    )
    parser.add_argument("--fastapi-workers", type=int, default=cores, help="uvicorn workers")
    parser.add_argument(
        "--burst",
        action="store_true",
        help="open all connections at once, as signin.py does (default: one after another, "
        "each once the previous one has had its first answer)",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()] or list(SYSTEMS)
    unknown = sorted(set(only) - set(SYSTEMS))
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
    if args.seconds <= 0 or args.warmup < 0 or args.connections < 1 or args.threads < 1:
        parser.error("--seconds > 0, --warmup >= 0, --connections >= 1, --threads >= 1")

    settings = load_settings()
    params = Argon2Params(
        memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
    )
    if params != PEER_PARAMS:
        raise BenchError(
            f"Entryway would hash with {params}, the peers are set up for {PEER_PARAMS}: "
            "unset the ENTRYWAY_ARGON2_* variables"
        )
    venvs = {
        name: ensure_venv(PEER_ENVS[name], args.venvs, args.python, args.reinstall)
        for name in only
        if name in PEER_ENVS
    }
    print(
        f"peers sign-in bench: {cores} cores, argon2id m={params.memory_kib} KiB "
        f"t={params.time_cost} p={params.parallelism}; {args.connections} connections, "
        f"{args.seconds:g} s windows after {args.warmup:g} s warm-up; {', '.join(only)}"
    )
    loadavg = os.getloadavg() if hasattr(os, "getloadavg") else None
    plan = Plan(args, [f"shopper{n}@example.com" for n in range(1, args.connections + 1)], params)

    def raw_phase(name: str) -> dict[str, Any]:
        cpu = TreeCpuWindow(0, cores)
        result = signin.raw_verify_rate(
            params, args.threads, args.seconds, min(args.warmup, 1.0), cpu
        )
        result["name"] = name
        print(
            f"  {name:<30} {result['per_second']:8.1f} verifies/s "
            f"(other processes: {cpu.foreign_cores:.2f} cores)"
        )
        return result

    raws = [raw_phase("raw argon2id (before)")]
    systems: list[dict[str, Any]] = []
    if "entryway" in only:
        systems.append(run_entryway(plan))
    if "allauth" in only:
        systems.append(run_allauth(plan, venvs["allauth"]))
    if "fastapi_users" in only:
        systems.append(run_fastapi_users(plan, venvs["fastapi_users"]))
    raws.append(raw_phase("raw argon2id (after)"))

    best = max(raws, key=lambda r: r["per_second"])
    raw = best["per_second"]
    phases = [p for s in systems for p in s["phases"]]
    print()
    for line in table(raw, [best, *[r for r in raws if r is not best]], systems):
        print(f"  {line}")
    print()

    problems, warnings = [], []
    for system in systems:
        hashes, rows = system["hash_check"], system["rows_check"]
        print(
            f"  {system['system']:<14} {system['server']}; hashes {', '.join(hashes['forms'])} "
            f"({'ok' if hashes['ok'] else 'MISMATCH'}); rows "
            f"{'match' if rows['ok'] else 'MISMATCH'} ({rows['what']})"
        )
        if not hashes["ok"]:
            problems.append(f"{system['system']}: stored hashes are not as configured: {hashes}")
        if not rows["ok"]:
            problems.append(f"{system['system']}: rows do not match the sign-ins: {rows}")
    for phase in phases:
        if phase["failures"]:
            problems.append(
                f"{phase['name']}: {phase['failures']} sign-in(s) FAILED, "
                f"e.g. {phase['failure_samples'][:2]}"
            )
        if not phase["sign_ins"]:
            problems.append(f"{phase['name']}: no sign-ins measured")
        if phase["connections_without_a_sign_in"]:
            warnings.append(
                f"{phase['name']}: {phase['connections_without_a_sign_in']} of "
                f"{phase['connections']} connections finished no sign-in inside the window "
                f"(longest sign-in {phase['longest_sign_in_ms_drain_included'] / 1000:.1f} s, "
                "drain included); its p50 and p99 cover only the others"
            )
    for phase in raws + phases:
        foreign = phase["cpu"]["foreign_cores"]
        if foreign > signin.FOREIGN_LIMIT:
            warnings.append(
                f"other processes used {foreign:.2f} cores during '{phase['name']}': "
                "the figures are disturbed"
            )

    result = {
        "bench": "peers",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": cores,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_before": loadavg,
        },
        "argon2": {
            "memory_kib": params.memory_kib,
            "time_cost": params.time_cost,
            "parallelism": params.parallelism,
        },
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "peer_venvs": {
            name: {
                "path": str(venv),
                "interpreter": (venv / "bench-requirements.txt").read_text().splitlines()[0],
                "packages": installed(venv),
            }
            for name, venv in venvs.items()
        },
        "raw": raws,
        "raw_per_second": raw,
        "systems": systems,
        "ratios": {p["name"]: p["per_second"] / raw for p in phases},
        "problems": problems,
        "warnings": warnings,
    }
    if not args.no_json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"peers-{stamp}.json"
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"  written {path.relative_to(HERE.parent)}")
    for warning in warnings:
        print(f"  warning: {warning}")
    if problems:
        print()
        for problem in problems:
            print(f"  !!! {problem}", file=sys.stderr)
        print("  !!! the run is NOT valid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted; the servers were stopped", file=sys.stderr)
        sys.exit(130)
