"""``entryway demo``: its start-up banner, and Ctrl-C ending it quietly at any moment.

The Ctrl-C tests start ``python -m entryway demo`` as a real process on a free port of
127.0.0.1, with a data folder of their own, and send it SIGINT as a terminal would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from entryway.cli import demo_banner, demo_settings
from entryway.flows.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, Seeded

QUIET = ("Traceback", "CancelledError", "KeyboardInterrupt")


def test_banner_gives_the_password_only_for_accounts_that_still_have_it(tmp_path: Path) -> None:
    settings = demo_settings("127.0.0.1", 8123, tmp_path)
    kept, changed = DEMO_ACCOUNTS[1:], DEMO_ACCOUNTS[:1]
    text = demo_banner(settings, Seeded(kept, changed, shoppers=0), tmp_path)
    with_password, _, rest = text.partition(f"(password: {DEMO_PASSWORD})")
    assert with_password, text
    listed_with, _, listed_without = rest.partition("no longer the demo password")
    for account in kept:
        assert f"{account.site}: {account.name} <{account.email}" in listed_with
    assert "us: Jane Doe <jane@example.com / +1 201 555 0123>" in listed_without
    assert "shopper" not in text
    assert f"Demo data: {tmp_path.resolve()} (stop the demo and delete it" in text
    assert "http://us.localhost:8123/" in text


def test_banner_names_no_password_when_no_account_has_it(tmp_path: Path) -> None:
    settings = demo_settings("127.0.0.1", 8123, tmp_path)
    text = demo_banner(settings, Seeded([], DEMO_ACCOUNTS, shoppers=500), tmp_path)
    assert DEMO_PASSWORD not in text
    # Shoppers in one line, never one by one, and never claimed to have been checked.
    assert "us: shopper1@example.com ... shopper500@example.com" in text
    assert "not checked" in text
    assert "shopper2@" not in text


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    command = [sys.executable, "-m", "entryway", "demo", "--port", str(port), "--data", str(data)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _wait(until: object, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        if callable(until) and until():
            return
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"the demo did not get there in time: {process.communicate()}")


def _interrupt(process: subprocess.Popen[bytes], times: int) -> tuple[int, str, str]:
    for n in range(times):
        if n:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_a_running_demo_quietly(tmp_path: Path, presses: int) -> None:
    port = _free_port()
    process = _demo(tmp_path / "demo", port)

    def answering() -> bool:
        try:
            r = httpx.get(
                f"http://127.0.0.1:{port}/healthz",
                headers={"Host": f"us.localhost:{port}"},
                timeout=0.5,
                trust_env=False,
            )
        except httpx.TransportError:
            return False
        return r.status_code == 200

    _wait(answering, process)
    status, out, err = _interrupt(process, presses)  # a second press comes in mid-stop
    assert status == 0, err
    assert not [word for word in QUIET if word in err], err
    assert f"Demo accounts (password: {DEMO_PASSWORD}):" in out
    assert "Application shutdown complete" in err  # the stop ran to its end


def test_ctrl_c_while_the_demo_is_still_starting_is_quiet(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    process = _demo(data, _free_port())
    _wait((data / "entryway.db").exists, process)  # migrating and seeding now
    status, _out, err = _interrupt(process, 1)
    assert status == 130, err
    assert not [word for word in QUIET if word in err], err
