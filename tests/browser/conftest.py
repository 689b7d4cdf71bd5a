"""End-to-end fixtures: the real demo service in a subprocess, driven by headless Chromium.

The server runs ``python -m entryway demo`` on a free port with its own data folder, so every
run starts from the seeded demo accounts and an empty outbox. Each test gets a fresh browser
context (no cookies carried over). Screenshots go to ``tests/browser/screenshots/``.

Chromium is Debian's (``/usr/bin/chromium``, or ENTRYWAY_TEST_CHROMIUM); Playwright's own
download is not used. Without it the tests skip, except when ``CI`` is set: then they fail,
so a broken image is noticed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("ENTRYWAY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).with_name("screenshots")
DEMO_PASSWORD = "sunny-harbor-42"
BRAND = "Acme Market"
# A test's ``site`` "ca-fr" is the Canada site read in French (tests/browser/french.py): the
# same origin, messages and names as "ca", with a fr-CA browser and a Translated page.
IN_FRENCH = "ca-fr"


class _SiteNames(dict[str, str]):
    """Site names by code; "ca-fr" reads as "ca" (and is not listed among the sites)."""

    def __missing__(self, site: str) -> str:
        if site == IN_FRENCH:
            return self["ca"]
        raise KeyError(site)


SITE_NAMES = _SiteNames({"us": "United States", "uk": "United Kingdom", "ca": "Canada"})


def site_code(site: str) -> str:
    """The site a test's ``site`` parameter is on ("ca-fr" is "ca")."""
    return "ca" if site == IN_FRENCH else site


def in_french(site: str) -> bool:
    """Whether a test's ``site`` parameter asks for the French run."""
    return site == IN_FRENCH


CODE = re.compile(r"\b(\d{6})\b")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """The running demo service, and the demo outbox read over plain HTTP."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def origin(self, site: str) -> str:
        return f"http://{site_code(site)}.localhost:{self.port}"

    def url(self, site: str, path: str) -> str:
        return self.origin(site) + path

    def get(self, site: str, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
        """GET from 127.0.0.1 with the site's Host header (Python cannot resolve *.localhost)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            headers={"Host": f"{site_code(site)}.localhost:{self.port}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()

    def messages(self) -> list[dict[str, Any]]:
        """Every message in the demo outbox, newest first."""
        status, body = self.get("us", "/dev/outbox.json")
        assert status == 200, body[:300]
        found: list[dict[str, Any]] = json.loads(body)["messages"]
        return found

    def wait_for_message(
        self,
        *,
        to: str,
        site: str,
        matching: Callable[[dict[str, Any]], bool] = lambda m: True,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The newest message to ``to`` from ``site`` that matches; polls while delivery runs."""
        deadline = time.monotonic() + timeout
        code = site_code(site)
        while True:
            for message in self.messages():
                if message["to"] == to and message["site"] == code and matching(message):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no message to {to} from site {site} within {timeout}s")
            time.sleep(0.1)

    def code_for(self, to: str, site: str) -> str:
        """The one-time code in the newest message to ``to`` from ``site``."""
        message = self.wait_for_message(
            to=to, site=site, matching=lambda m: CODE.search(m["body"]) is not None
        )
        found = CODE.search(message["body"])
        assert found
        return found.group(1)


def _wait_until_healthy(server: Server, timeout: float = 60.0) -> None:
    # A minute: on a shared, loaded machine the demo once took longer than 20 s to start.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"demo server exited with {server.process.returncode}:\n"
                + server.log.read_text(errors="replace")
            )
        try:
            status, _ = server.get("us", "/healthz", timeout=0.5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        "demo server did not answer /healthz in time:\n" + server.log.read_text(errors="replace")
    )


@pytest.fixture(scope="module", autouse=True)
def _require_chromium() -> None:
    """First of all: skip (or, under CI, fail) before starting anything without Chromium."""
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return
    reason = (
        f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
        "(Playwright's own browser download is not used)."
    )
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def running_demo(data: Path, settings: Mapping[str, str] | None = None) -> Iterator[Server]:
    """``python -m entryway demo`` on a free port with the data folder ``data``.

    ``settings`` are extra ``ENTRYWAY_*`` variables for this server only (a module that
    needs another policy starts its own server with them; the default is none)."""
    log = data / "server.log"
    port = _free_port()
    # The demo lets ENTRYWAY_* settings win; a stray one (another database, other sites)
    # must not leak into the tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    env.update(settings or {})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "entryway", "demo", "--port", str(port), "--data", str(data)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    running = Server(port=port, process=process, log=log)
    try:
        _wait_until_healthy(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``python -m entryway demo`` on a free port with a fresh data folder."""
    with running_demo(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (torn down before other test modules run)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _test_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")


def site_param(request: pytest.FixtureRequest) -> str | None:
    """The test's ``site`` parameter, if it has one."""
    callspec = getattr(request.node, "callspec", None)
    site = callspec.params.get("site") if callspec is not None else None
    return site if isinstance(site, str) else None


@pytest.fixture
def new_context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Make fresh browser contexts (own cookies); all are closed after the test.

    For a test whose ``site`` is "ca-fr" a context speaks French (``locale`` fr-CA, so
    Accept-Language fr-CA) and is a ``Translated`` view; ``staff=True`` keeps one English
    (the console stays English). When the test fails, every page still open is saved as
    ``<test>-failed-<N>.png``.
    """
    made: list[Any] = []
    french_test = in_french(site_param(request) or "")

    def make(*, staff: bool = False, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        french_context = french_test and not staff
        if french_context:
            options.setdefault("locale", "fr-CA")
        context = browser.new_context(**options)
        context.set_default_timeout(5000)
        context.set_default_navigation_timeout(10000)
        made.append(context)
        if french_context:
            from tests.browser.french import Translated, french

            return Translated(context, french())
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    n = 0
    for context in made:
        for open_page in context.pages if failed else []:
            n += 1
            path = SCREENSHOTS / f"{_test_name(request)}-failed-{n}.png"
            with contextlib.suppress(Exception):  # a report, not a second failure
                open_page.screenshot(path=str(path), full_page=True)
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a fresh desktop-sized context (in French for a "ca-fr" test)."""
    return new_context().new_page()


class Shots:
    """Numbered full-page screenshots: ``<test>-<NN>-<step>.png``."""

    def __init__(self, test: str) -> None:
        self.test = test
        self.count = 0
        self.taken: list[Path] = []

    def __call__(self, page: Any, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.test}-{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        _no_english_left(page, path)
        return path


def _no_english_left(page: Any, path: Path) -> None:
    """In the French run, a page saved must not show a catalog sentence in English (the
    demo's own pages, under /dev/, stay English)."""
    from tests.browser.french import Catalog, Translated

    if not isinstance(page, Translated) or not isinstance(page._t, Catalog):
        return
    if "/dev/" in page.url:
        return
    left = page._t.english_left(page.wrapped.locator("body").inner_text())
    assert not left, f"English left on {page.url} ({path.name}): {left}"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots(_test_name(request))
