"""No customer template shows words the catalog cannot translate.

Read with Jinja's own lexer, every customer page template and every message template must
keep its words inside ``{% trans %}`` blocks or ``_()`` / ``gettext()`` / ``ngettext()``
calls: once HTML tags, comments, entities and script or style bodies are gone, the text
outside them has no letters; the attributes people read (alt, title, placeholder,
aria-label) are empty or a variable; and no string literal inside a tag reads as prose (a
label passed to a macro). Pages only developers and staff see stay English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from jinja2 import Environment

import entryway

PACKAGE = Path(entryway.__file__).parent
PAGES = PACKAGE / "web" / "templates"
MESSAGES = PACKAGE / "messages"
NOT_CUSTOMERS = {"outbox.html", "dev_orders.html", "api_docs.html"}  # demo and developers
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
# A stand-in for every {{ ... }} and {% ... %} outside trans: never a letter, never a tag's end.
HOLE = "\x00"
HIDDEN = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^<>]*>")
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
READ_ATTRIBUTE = re.compile(
    r"""\b(alt|title|placeholder|aria-label)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.IGNORECASE,
)
LETTER = re.compile(r"[^\W\d_]")


def templates() -> list[Path]:
    pages = [p for p in sorted(PAGES.glob("*.html")) if p.name not in NOT_CUSTOMERS]
    return pages + sorted(p for p in MESSAGES.iterdir() if p.suffix in {".txt", ".html"})


@dataclass
class Outside:
    """The template's text outside trans blocks and tags, with the line of each character."""

    text: str
    lines: list[int]
    prose_literals: list[tuple[int, str]]

    def line_at(self, index: int) -> int:
        return self.lines[min(index, len(self.lines) - 1)] if self.lines else 1


def _reads_as_prose(literal: str) -> bool:
    """A sentence or a label: "Sign in", "Continue", "Email or mobile phone number" — not a
    name, a path, a CSS class or a value such as "email" or "base.html"."""
    if not LETTER.search(literal) or re.search(r"[/\\{}<>=]|\.html$|\.txt$", literal):
        return False
    words = literal.split()
    if len(words) > 1 and any(w[:1].isupper() for w in words[:1]):
        return True
    return bool(re.fullmatch(r"[A-Z][a-z’']+[.!?:]?", literal)) or bool(
        re.search(r"[a-z][.!?]$", literal) and len(words) > 1
    )


def outside_trans(env: Environment, source: str, name: str) -> Outside:
    """Walk the token stream: data outside trans is kept, each tag becomes a HOLE, and
    string literals in tags that are not a gettext call's arguments are looked at."""
    text: list[str] = []
    lines: list[int] = []
    literals: list[tuple[int, str]] = []
    depth = 0  # inside {% trans %} ... {% endtrans %}
    in_tag = False
    tag_names: list[str] = []
    calls: list[bool] = []  # for each open parenthesis: is it a gettext call's?
    previous = ""
    for lineno, kind, value in env.lex(source, name):
        if kind in ("block_begin", "variable_begin"):
            in_tag, tag_names, calls = True, [], []
            if not depth:
                text.append(HOLE)
                lines.append(lineno)
            continue
        if kind in ("block_end", "variable_end"):
            in_tag = False
            if tag_names[:1] == ["trans"]:
                depth += 1
            elif tag_names[:1] == ["endtrans"]:
                depth -= 1
            continue
        if in_tag:
            if kind == "name":
                tag_names.append(value)
            if kind == "operator" and value == "(":
                calls.append(previous in GETTEXT)
            elif kind == "operator" and value == ")" and calls:
                calls.pop()
            elif kind == "string" and not any(calls) and not depth:
                first = tag_names[0] if tag_names else ""
                literal = value[1:-1]  # lex() gives the source text, quotes and all
                if first not in {"extends", "include", "import", "from"} and _reads_as_prose(
                    literal
                ):
                    literals.append((lineno, literal))
            previous = value if kind == "name" else ""
            continue
        if kind == "data" and not depth:
            for offset, char in enumerate(value):
                text.append(char)
                lines.append(lineno + value.count("\n", 0, offset))
    return Outside("".join(text), lines, literals)


def _blank(match: re.Match[str]) -> str:
    """A tag or entity out of the way: a HOLE (it ends a text as a tag does), keeping every
    line where it was, so reports point right."""
    return re.sub(r"[^\n]", HOLE, match.group(0))


def untranslated(path: Path) -> list[str]:
    """Every fault of one template, as 'file:line: what'."""
    env = Environment(
        extensions=["jinja2.ext.i18n"], autoescape=True, trim_blocks=True, lstrip_blocks=True
    )  # only lexed, never rendered
    outside = outside_trans(env, path.read_text(encoding="utf-8"), path.name)
    html = path.suffix == ".html"
    text = HIDDEN.sub(_blank, outside.text) if html else outside.text
    where = f"{path.parent.name}/{path.name}"
    faults: list[tuple[int, str]] = []
    if html:
        for m in READ_ATTRIBUTE.finditer(text):
            value = next(v for v in m.groups()[1:] if v is not None)
            if LETTER.search(value):
                shown = value.replace(HOLE, "…")
                faults.append((outside.line_at(m.start()), f"{m.group(1)}={shown!r}"))
        text = ENTITY.sub(_blank, TAG.sub(_blank, text))
    for m in re.finditer(r"[^\x00\n]+", text):
        words = " ".join(m.group(0).split())
        if LETTER.search(words):
            faults.append((outside.line_at(m.start()), f"text outside trans: {words!r}"))
    faults.extend((line, f"string outside _(): {text!r}") for line, text in outside.prose_literals)
    return [f"{where}:{line}: {what}" for line, what in sorted(faults, key=lambda f: f[0])]


@pytest.mark.parametrize("path", templates(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_word_is_translatable(path: Path) -> None:
    faults = untranslated(path)
    assert not faults, f"{len(faults)} untranslated:\n  " + "\n  ".join(faults)


def test_the_lint_sees_what_it_should(tmp_path: Path) -> None:
    page = tmp_path / "templates" / "sample.html"
    page.parent.mkdir()
    page.write_text(
        '{% extends "base.html" %}\n'
        "<h1>{% trans %}Sign in{% endtrans %}</h1>\n"
        '<img alt="{{ logo_alt }}" src="/x.png"><input placeholder="Your name">\n'
        "<p>{{ _('Continue') }} &nbsp;·&nbsp; {{ site.name }}</p>\n"
        "<style>body { color: red }</style>\n"
        '{{ field("identifier", "Email or mobile phone number", kind="email") }}\n'
        "<p>Forgot your password?</p>\n",
        encoding="utf-8",
    )
    assert untranslated(page) == [
        "templates/sample.html:3: placeholder='Your name'",
        "templates/sample.html:6: string outside _(): 'Email or mobile phone number'",
        "templates/sample.html:7: text outside trans: 'Forgot your password?'",
    ]
