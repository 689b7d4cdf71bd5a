"""The operator's TEMPLATES_DIR, checked once at start: a replaced template that could not be
rendered would fail only when its message is sent, and some messages go out only on one
branch of a journey (an address that already has an account), so a failure there would be
a visible difference (SECURITY.md 4). Refusing to start names the file instead."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, TemplateSyntaxError, meta
from jinja2.nodes import Block
from jinja2.nodes import Template as Parsed

from entryway.adapters.messages import PACKAGED

# What every message template gets besides its own values (adapters.messages._values), and
# what Jinja's i18n extension provides.
COMMON = frozenset(
    {"site", "brand", "site_name", "origin", "locale", "url", "when", "money"}
    | {"gettext", "ngettext", "_", "pgettext", "npgettext"}
)
HTML_EXTRA = frozenset({"subject", "text", "paragraphs"})  # what an HTML part gets as well


def check_templates_dir(folder: Path, pages: Path) -> list[str]:
    """Problems with the operator's folder, one line each naming the file ([] = usable):
    it exists, each file replaces a shipped template, parses, has the blocks a message
    needs, and uses no value its message is not given."""
    if not folder.is_dir():
        return [f"TEMPLATES_DIR {str(folder)!r} is not a folder"]
    problems: list[str] = []
    page_env = _env(pages)
    for path in sorted(folder.glob("*.html")):
        if not (pages / path.name).exists():
            problems.append(f"{path}: no shipped page template is called {path.name}")
            continue
        parsed = _parse(page_env, path)
        if isinstance(parsed, str):
            problems.append(parsed)
    messages = folder / "messages"
    if messages.is_dir():
        message_env = _env(PACKAGED)
        for path in sorted(messages.iterdir()):
            if path.is_dir() or path.name.startswith("."):
                continue
            problems.extend(_message_problems(message_env, path))
    return problems


def _env(folder: Path) -> Environment:
    """For parsing only: nothing is rendered with it, so autoescape does not matter."""
    return Environment(  # noqa: S701
        loader=FileSystemLoader(folder), extensions=["jinja2.ext.i18n"]
    )


def _parse(env: Environment, path: Path) -> Parsed | str:
    try:
        return env.parse(path.read_text(encoding="utf-8"))
    except (TemplateSyntaxError, UnicodeDecodeError) as exc:
        return f"{path}: {exc}"


def _message_problems(env: Environment, path: Path) -> list[str]:
    shipped = PACKAGED / path.name
    if not path.name.startswith("_") and not shipped.exists():
        return [f"{path}: no shipped message template is called {path.name}"]
    own = _parse(env, path)
    if isinstance(own, str):
        return [own]
    if not shipped.exists():  # a partial of the operator's own
        return []
    problems = []
    if path.name.endswith(".txt") and not path.name.endswith(".sms.txt"):
        blocks = {block.name for block in own.find_all(Block)}
        missing = {"subject", "body"} - blocks
        if missing:
            problems.append(f"{path}: a message needs the blocks {sorted(missing)}")
    given = _values_of(env, shipped) | COMMON
    if path.name.endswith(".html"):
        given |= HTML_EXTRA | _values_of(env, shipped.with_suffix(".txt"))
    unknown = meta.find_undeclared_variables(own) - given
    if unknown:
        problems.append(
            f"{path}: uses {sorted(unknown)}, which this message is not given "
            f"(it gets {sorted(given - COMMON)} and the values every message gets)"
        )
    return problems


def _values_of(env: Environment, shipped: Path) -> set[str]:
    """The values a shipped template (and the partials it includes) uses: what its message
    is given."""
    if not shipped.exists():
        return set()
    seen: set[str] = set()
    todo = [shipped.name]
    found: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or not (PACKAGED / name).exists():
            continue
        seen.add(name)
        parsed = env.parse((PACKAGED / name).read_text(encoding="utf-8"))
        found |= meta.find_undeclared_variables(parsed)
        todo.extend(n for n in meta.find_referenced_templates(parsed) if n)
    return found
