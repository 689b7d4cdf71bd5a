"""An operator's TEMPLATES_DIR replaces one page and one message by name, and only those;
README lists every message template a store can replace."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.messages import PACKAGED
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from tests import conftest
from tests.web.helpers import csrf_of

README = Path(__file__).resolve().parents[2] / "README.md"

SIGN_IN_PAGE = """{% extends "base.html" %}
{% block title %}{{ _("Sign in") }}{% endblock %}
{% block main %}<h1>{{ _("Sign in") }}</h1>
<p>Welcome to the {{ site.name }} store, {{ brand_note }}.</p>
<form method="post" action="/signin"><input type="hidden" name="csrf" value="{{ csrf }}">
<label for="identifier">{{ _("Email or mobile phone number") }}</label>
<input id="identifier" name="identifier"><button type="submit">{{ _("Continue") }}</button></form>
{% endblock %}
"""

# The operator's own words for the password-changed notice, in one language, with the
# values the shipped template gets.
PASSWORD_CHANGED = """{#- To: every verified contact. Values: none. -#}
{% block subject %}Your {{ brand }} password is new{% endblock %}
{% block body %}
Hello from {{ brand }} {{ site_name }}. Your password was changed.

Not you? Call us, or start again at {{ url("/password/forgot") }}.
{% endblock %}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "theme"
    (root / "messages").mkdir(parents=True)
    (root / "signin.html").write_text(
        SIGN_IN_PAGE.replace("{{ brand_note }}", "open every day"), encoding="utf-8"
    )
    (root / "messages" / "password_changed.txt").write_text(PASSWORD_CHANGED, encoding="utf-8")
    return root


@pytest.fixture
async def themed(
    database_url: tuple[str, str | None], folder: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, MemoryMailer]]:
    url, schema = database_url
    mailer = MemoryMailer()
    runtime = build(
        conftest.test_settings(url, templates_dir=str(folder)),
        clock=FrozenClock(),
        mailer=mailer,
        texter=MemoryTexter(),
        schema=schema,
    )
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://us.localhost:8000", follow_redirects=False
    ) as client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client, mailer
    await runtime.close()


async def test_one_page_is_the_operator_s_and_the_others_stay_shipped(
    themed: tuple[httpx.AsyncClient, MemoryMailer],
) -> None:
    client, _ = themed
    page = await client.get("/signin")
    assert page.status_code == 200
    assert "Welcome to the United States store, open every day." in page.text
    assert "Regional sites" in page.text  # the operator's page still extends base.html
    shipped = await client.get("/password/forgot")
    assert shipped.status_code == 200
    assert "open every day" not in shipped.text


async def test_one_message_is_the_operator_s(
    themed: tuple[httpx.AsyncClient, MemoryMailer],
) -> None:
    client, mailer = themed
    runtime = client.runtime  # type: ignore[attr-defined]
    site = runtime.deps.site("us")
    own = runtime.deps.messages.email("password_changed", site, "en-US")
    assert own.subject == "Your Acme Market password is new"
    assert own.text.startswith("Hello from Acme Market United States.")
    assert "http://us.localhost:8000/password/forgot" in own.text
    # Without an HTML file of its own, the operator's text is laid out by the shipped layout.
    assert "Hello from Acme Market United States." in own.html
    assert 'href="http://us.localhost:8000/password/forgot"' in own.html
    shipped = runtime.deps.messages.email("password_reset", site, "en-US")
    assert shipped.subject == "Acme Market: your password was reset"
    assert mailer.sent == []  # rendering sends nothing


def test_an_operator_s_html_part_replaces_the_layout(folder: Path) -> None:
    from entryway.adapters.i18n import load_catalogs
    from entryway.adapters.messages import MessageTemplates
    from entryway.settings import demo_sites

    (folder / "messages" / "password_changed.html").write_text(
        "<p style='color:red'>{{ subject }}</p><div>{{ text }}</div>", encoding="utf-8"
    )
    site = demo_sites(8000)[0]
    own = MessageTemplates(load_catalogs(["en-US"]), folder).email(
        "password_changed", site, "en-US"
    )
    assert own.html.startswith("<p style='color:red'>Your Acme Market password is new</p>")


def test_readme_lists_every_message_template() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Message templates", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \| `", section, flags=re.M))
    shipped = {
        path.name.split(".")[0] for path in PACKAGED.glob("*.txt") if not path.name.startswith("_")
    }
    assert shipped - listed == set(), "README's message table lacks these"
    assert listed - shipped == set(), "README lists templates that do not exist"


async def test_a_form_on_the_operator_s_page_still_works(
    themed: tuple[httpx.AsyncClient, MemoryMailer],
) -> None:
    client, _ = themed
    page = await client.get("/signin")
    answer = await client.post(
        "/signin",
        data={"csrf": csrf_of(page.text), "identifier": "jane@example.com"},
    )
    assert answer.status_code == 303


def _faults(folder: Path) -> list[str]:
    from entryway.adapters.template_check import check_templates_dir
    from entryway.web.render import TEMPLATES

    return check_templates_dir(folder, TEMPLATES)


def test_the_folder_in_the_tests_is_usable(folder: Path) -> None:
    assert _faults(folder) == []


@pytest.mark.parametrize(
    ("name", "text", "fault"),
    [
        # A value its message never gets: it would fail only when an address that already has
        # an account registers again, a difference a stranger could see (SECURITY.md 4).
        (
            "messages/already_registered.txt",
            "{% block subject %}Hi {{ name }}{% endblock %}{% block body %}x{% endblock %}",
            "uses ['name']",
        ),
        ("messages/already_registered.txt", "{% block body %}x{% endblock %}", "['subject']"),
        ("messages/reset_code.txt", "{% block subject %}{{ code }{% endblock %}", "reset_code"),
        ("messages/reset_kode.txt", "{% block subject %}x{% endblock %}", "no shipped message"),
        ("signin.htm", "x", None),  # not a template name at all: ignored, not a page
        ("sign_in.html", "<p>x</p>", "no shipped page template"),
        ("signin.html", "{% if %}", "signin.html"),
    ],
)
def test_a_broken_override_refuses_to_start(
    folder: Path, name: str, text: str, fault: str | None
) -> None:
    (folder / name).write_text(text, encoding="utf-8")
    found = _faults(folder)
    if fault is None:
        assert found == []
    else:
        assert len(found) == 1 and fault in found[0] and name.split("/")[-1] in found[0], found


def test_a_missing_folder_refuses_to_start(tmp_path: Path) -> None:
    from entryway.bootstrap import UnsafeSettings

    with pytest.raises(UnsafeSettings, match="TEMPLATES_DIR"):
        build(
            conftest.test_settings(
                "sqlite:///" + str(tmp_path / "x.db"), templates_dir=str(tmp_path / "none")
            )
        )
