"""Help articles: read once, filled in per site, rendered without raw HTML or foreign links."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from entryway.adapters.help_articles import (
    SHIPPED_DIR,
    HelpArticleError,
    Renderer,
    escape_markdown,
    load_help_center,
)
from entryway.bootstrap import UnsafeSettings, build
from entryway.core.articles import SHIPPED, fill
from entryway.core.sites import Site
from entryway.settings import Settings, demo_sites

SITES = demo_sites(8000)
US, UK, CA = SITES
SENDER = "Acme Market <no-reply@acme-market.example>"
LEFT_OVER = re.compile(r"(?<!\\)\{[a-z_]+\}")


def render(markdown: str) -> tuple[str, list[str]]:
    return Renderer(SITES).render(markdown)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


# -- the renderer --------------------------------------------------------------------------


def test_raw_html_is_shown_as_text() -> None:
    html, _ = render(
        "<script>alert(1)</script>\n\nHello <b onclick='x()'>there</b>\n\n<img src=x onerror=y>"
    )
    assert "<script" not in html and "<b " not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onclick='x()'&gt;there&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "markdown",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java%0ascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html,hi)",
        "[click](https://evil.example/signin)",
        "[click](//evil.example/)",
        "[click](/\\evil.example/)",
        "[click](http://us.localhost:8000@evil.example/)",
        "[click](http://us.localhost:8000.evil.example/)",
        "[click](https://us.localhost:8000/)",  # the right host on the wrong scheme
        "[click](mailto:someone@evil.example)",
        "[click](ftp://us.localhost:8000/)",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        "<https://evil.example/>",
        "<javascript:alert(1)>",
        "![click](https://evil.example/pixel.png)",
    ],
)
def test_links_off_the_service_are_neutralised(markdown: str) -> None:
    html, _ = render(markdown)
    assert "href" not in html and "<img" not in html, html
    assert "click" in html or "evil.example" in html or "alert" in html  # the text stays


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("[Reset](/password/forgot)", "/password/forgot"),
        ("[Up](#top)", "#top"),
        ("[UK](http://uk.localhost:8000/signin)", "http://uk.localhost:8000/signin"),
        ("[CA](<http://ca.localhost:8000>)", "http://ca.localhost:8000"),
        ("[Mail](mailto:help@acme-market.example)", "mailto:help@acme-market.example"),
    ],
)
def test_links_to_the_service_are_kept(markdown: str, href: str) -> None:
    html, dropped = render(markdown)
    assert f'href="{href}"' in html and dropped == []


def test_the_renderer_reports_what_it_dropped_and_keeps_the_text() -> None:
    html, dropped = render("See [our partner](https://evil.example/) or [reset](/password/forgot).")
    assert dropped == ["https://evil.example/"]
    assert html == '<p>See our partner or <a href="/password/forgot">reset</a>.</p>\n'


def test_a_paragraph_that_is_one_link_is_a_button_and_a_list_of_links_is_not() -> None:
    html, _ = render("[Reset your password](/password/forgot)\n\n- [a](/a)\n- [b](/b)")
    assert '<p class="go"><a href="/password/forgot" class="button">' in html
    assert '<li><a href="/a">a</a></li>' in html


def test_escaped_values_add_no_markup() -> None:
    nasty = "*x* [y](javascript:alert(1)) <b>z</b> `c` _u_ \\"
    html, dropped = render(escape_markdown(nasty))
    assert dropped == [] and "href" not in html and "<em>" not in html and "<b>" not in html
    assert "<code>" not in html and "&lt;b&gt;z&lt;/b&gt;" in html


def test_fill_is_not_str_format() -> None:
    values = {"site": "UK"}
    assert fill("{site} {site.__class__} {site[0]} {0} {} {{site}} \\{site}", values) == (
        "UK {site.__class__} {site[0]} {0} {} {UK} \\{site}"
    )


# -- the shipped articles ------------------------------------------------------------------


def test_every_shipped_article_is_filled_in_for_every_site() -> None:
    center = load_help_center(SITES, SENDER)
    for site in SITES:
        slugs = [a.slug for a in center.index(site.code)]
        assert slugs == list(SHIPPED)
        for article in center.index(site.code):
            for text in (article.title, article.summary_html, article.body_html):
                assert not LEFT_OVER.search(text), (site.code, article.slug)
            assert article.summary_html and article.summary_html in article.body_html
            assert "<h1" not in article.body_html
    uk = center.article("uk", "wrong-site")
    assert uk is not None
    assert 'href="http://us.localhost:8000/signin"' in uk.body_html
    assert 'href="http://ca.localhost:8000/signin"' in uk.body_html
    assert 'href="http://uk.localhost:8000/signin"' not in uk.body_html
    assert "Acme Market United Kingdom" in uk.body_html
    assert "United States or Canada site" in uk.body_html
    genuine = center.article("ca", "genuine-messages")
    assert genuine is not None
    assert "no-reply@acme-market.example" in genuine.body_html
    assert "http://ca.localhost:8000" in genuine.body_html
    assert "Acme Market <no-reply" not in genuine.body_html
    # It names the domain that sends and signs our email, and the Message Center.
    assert "For our email it is acme-market.example." in genuine.body_html
    assert "ends in @acme-market.example" in genuine.body_html
    assert "Message Center" in genuine.body_html


def test_a_sites_own_values_cannot_inject_markdown_or_html() -> None:
    odd = Site(
        code="xx",
        name="<b>X</b> [land](javascript:alert(1)) *yes*",
        base_url="https://xx.example",
        brand="Brand_With_Underscores_",
        support_email="help@xx.example",
    )
    center = load_help_center([odd, US], SENDER)
    article = center.article("xx", "no-access")
    assert article is not None
    assert "&lt;b&gt;X&lt;/b&gt; [land](javascript:alert(1)) *yes*" in article.body_html
    assert "Brand_With_Underscores_" in article.body_html
    assert 'href="mailto:help@xx.example"' in article.body_html
    assert "javascript" not in re.sub(r">[^<]*<", "><", article.body_html)  # only in text


def test_the_package_ships_the_articles() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["entryway"]
    package = SHIPPED_DIR.parents[1]
    for slug in SHIPPED:
        relative = (SHIPPED_DIR / f"{slug}.md").relative_to(package).as_posix()
        assert any(fnmatch(relative, g) for g in globs), relative
    assert "markdown-it-py" in " ".join(pyproject["project"]["dependencies"])


# -- an operator's folder ------------------------------------------------------------------


def test_an_operators_article_replaces_one_by_slug_and_adds_others(tmp_path: Path) -> None:
    write(tmp_path, "locked.md", "# Locked out of {brand}?\n\nCall the {site} desk.\n\nMore.\n")
    write(tmp_path, "returns.md", "# Returns\n\nHow returns work on {site}.\n")
    write(tmp_path, "notes.txt", "not an article")
    center = load_help_center(SITES, SENDER, tmp_path)
    locked = center.article("uk", "locked")
    assert locked is not None and locked.title == "Locked out of Acme Market?"
    assert locked.summary_html == "Call the United Kingdom desk."
    assert [a.slug for a in center.index("us")] == [*SHIPPED, "returns"]
    shipped = load_help_center(SITES, SENDER).article("uk", "locked")
    assert shipped is not None and shipped.title == "Account locked?"


BAD = [
    ("Bad_Name.md", "# T\n\nS.\n", "file name must be <slug>.md"),
    ("ask.md", "# T\n\nS.\n", "address of another help page"),
    ("x.md", b"# T\n\nS \xff.\n", "not UTF-8"),
    ("x.md", "No title\n\nS.\n", "first line must be the title"),
    ("x.md", "#\n\nS.\n", "first line must be the title"),
    ("x.md", "# T\n", "one-line summary"),
    ("x.md", "# T\n\nA summary\nover two lines.\n", "one-line summary"),
    ("x.md", "# T\n\n- a list\n", "summary under the title must be text"),
    ("x.md", "# T\n\nS.\n\n# Another title\n", "only the first line"),
    ("x.md", "# T\n\nS {sitename}.\n", "unknown placeholder {sitename}"),
    ("x.md", "# T {other_sites}\n\nS.\n", "cannot be in the title"),
    ("x.md", "# T\n\nS [x](https://evil.example/).\n", "'https://evil.example/' goes outside"),
    ("x.md", "# T\n\nS.\n\n[x](javascript:alert(1))\n", "goes outside"),
    ("x.md", "# T\n\n" + "S" * 70_000 + "\n", "larger than 64 KiB"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD)
def test_a_bad_article_is_refused_naming_its_file(
    tmp_path: Path, name: str, text: str | bytes, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(HelpArticleError) as caught:
        load_help_center(SITES, SENDER, tmp_path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HelpArticleError, match="not a folder of help articles"):
        load_help_center(SITES, SENDER, tmp_path / "nope")


def test_a_bad_folder_refuses_to_start(tmp_path: Path) -> None:
    write(tmp_path, "locked.md", "# Locked\n\nSee {nothing}.\n")
    settings = Settings(
        database_url="sqlite:///:memory:",
        secret_key="s" * 40,
        sites=SITES,
        help_articles_dir=str(tmp_path),
    )
    with pytest.raises(UnsafeSettings) as caught:
        build(settings)
    message = str(caught.value)
    assert message.startswith("refusing to start: ENTRYWAY_HELP_ARTICLES_DIR: ")
    assert "locked.md: unknown placeholder {nothing}" in message


def test_the_genuine_messages_article_names_the_signing_domain() -> None:
    """With DKIM signing by a parent domain (DMARC relaxed alignment), the article names
    that domain as the one that signs, and still the sender's for the address."""
    sites = demo_sites(8000)
    sender = "Acme Market <no-reply@mail.acme-market.example>"
    center = load_help_center(sites, sender, signing_domain="Acme-Market.example.")
    genuine = center.article("us", "genuine-messages")
    assert genuine is not None
    assert "For our email it is acme-market.example." in genuine.body_html
    assert "ends in @mail.acme-market.example" in genuine.body_html
    french = center.article("ca", "genuine-messages", "fr-CA")
    assert french is not None and "c’est acme-market.example." in french.body_html
