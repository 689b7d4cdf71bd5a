"""``entryway staff`` against a demo's folder: the links it prints open that demo's console."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from entryway import cli
from entryway.staff_cli import CONSOLE_FILE

PORT = 8123


@pytest.fixture
def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo folder as ``entryway demo --port 8123`` leaves it, without serving."""
    for name in list(os.environ):
        if name.startswith("ENTRYWAY_"):
            monkeypatch.delenv(name)
    data = tmp_path / "demo"
    settings = cli.demo_settings("127.0.0.1", PORT, data)
    _seeded, staff, _shops = asyncio.run(cli._prepare_demo(settings))
    assert [m.email for m in staff] == ["agent@acme-market.example", "admin@acme-market.example"]
    (data / CONSOLE_FILE).write_text(settings.console_url + "\n")
    return data


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_staff_commands_against_a_demo_folder(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    code, out, _ = run(
        capsys, "staff", "add", "--data", data, "--email", "Kim@Staff.Example", "--role", "agent",
        "--role", "reviewer", "--site", "us", "--site", "uk",
    )  # fmt: skip
    assert code == 0
    assert re.search(rf"http://console\.localhost:{PORT}/enrol/[A-Za-z0-9_-]{{43}}\n", out), out
    code, out, _ = run(capsys, "staff", "list", "--data", data)
    assert "kim@staff.example\tagent,reviewer\tuk, us\tinvited" in out
    assert "admin@acme-market.example\tadmin\tall sites\tinvited" in out
    code, out, _ = run(
        capsys, "staff", "roles", "--data", data, "--email", "kim@staff.example", "--role", "trust",
        "--all-sites",
    )  # fmt: skip
    assert code == 0 and "kim@staff.example: trust on all sites" in out
    code, out, _ = run(capsys, "staff", "reset", "--data", data, "--email", "kim@staff.example")
    assert code == 0 and f"http://console.localhost:{PORT}/enrol/" in out
    code, out, _ = run(capsys, "staff", "disable", "--data", data, "--email", "kim@staff.example")
    assert code == 0 and "Disabled kim@staff.example" in out


def test_staff_command_errors_are_plain(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    code, _, err = run(
        capsys, "staff", "add", "--data", data, "--email", "x@staff.example", "--role", "root",
        "--all-sites",
    )  # fmt: skip
    assert code == 1 and "unknown role 'root'" in err
    code, _, err = run(
        capsys, "staff", "add", "--data", data, "--email", "x@staff.example", "--role", "agent",
        "--site", "fr",
    )  # fmt: skip
    assert code == 1 and "unknown site 'fr'" in err
    code, _, err = run(capsys, "staff", "disable", "--data", data, "--email", "no@staff.example")
    assert code == 1 and "no staff member" in err


def test_a_folder_that_is_no_demo_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a demo folder"):
        cli.main(["staff", "list", "--data", str(tmp_path)])
