"""The translation catalogs: the ``.po`` files in ``entryway/locales`` compiled at start.

A locale's catalog is every ``.po`` file in ``locales/<ll_RR>/LC_MESSAGES/``, one per area
(pages, messages, errors, ...) so that translators of one area never edit another's file;
they are merged into one set of translations. The repository keeps only the ``.po`` sources
(``scripts/i18n`` extracts and checks them); compiling them here, in memory, means a
checkout never runs on a stale ``.mo``. A fuzzy or empty entry is left out, so the source
text shows instead of a guess (and the catalog test in ``tests/core/test_catalog.py`` fails
on either)."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from entryway.core.locales import Catalogs, babel_name

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


class CatalogError(Exception):
    """A catalog that cannot be read: the service refuses to start rather than show a
    half-translated site."""


def po_files(tag: str, root: Path = LOCALES) -> list[Path]:
    """The locale's ``.po`` files, in name order (a later file wins a repeated entry)."""
    return sorted((root / babel_name(tag) / "LC_MESSAGES").glob("*.po"))


def compile_catalog(path: Path) -> Translations:
    """One ``.po`` file as ready translations."""
    try:
        with path.open("rb") as source:
            catalog = read_po(source)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: {exc}") from None
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def load_catalogs(tags: list[str], root: Path = LOCALES) -> Catalogs:
    """Catalogs for every locale a site offers that has one; English locales read the
    source texts."""
    found = {}
    for tag in dict.fromkeys(tags):
        merged: Translations | None = None
        for path in po_files(tag, root):
            part = compile_catalog(path)
            merged = part if merged is None else merged.merge(part)
        if merged is not None:
            found[tag] = merged
    return Catalogs(found)
