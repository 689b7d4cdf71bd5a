"""The journeys again, in French: the same tests, with every label looked up in the catalog.

A journey test finds controls by their English labels. Run in French, its ``page`` is a
``Translated`` view of the real page: every string given to a locator (``get_by_role``'s
``name``, ``get_by_label``, ``get_by_text``, ...) or to an assertion (``expect(...)
.to_have_text``, ...) is first translated with the fr-CA catalog. A string that is a whole
catalog entry is replaced by its translation; one that fills an entry with placeholders
(``Your code is 123456.`` for ``Your code is %(code)s.``) by the translation filled the same
way. A string the catalog does not know stays as it is (an email address, a case number),
so a test still fails when a page shows English where French belongs: the French label is
looked for and not found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from playwright.sync_api import expect as playwright_expect

from entryway.adapters.i18n import load_catalogs

FRENCH = "fr-CA"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


class Catalog:
    """English -> French through the shipped catalog, templates included."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries
        self._templates: list[tuple[re.Pattern[str], str]] = []
        for msgid, msgstr in entries.items():
            if _PLACEHOLDER.search(msgid):
                self._templates.append((_as_pattern(msgid), msgstr))

    def __call__(self, english: str) -> str:
        found = self.entries.get(english)
        if found:
            return found
        for pattern, french in self._templates:
            match = pattern.fullmatch(english)
            if match:
                return _fill(french, match.groupdict())
        return english


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), template)


def _as_pattern(msgid: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    seen: set[str] = set()
    for found in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[last : found.start()]))
        name = found.group(1) or found.group(2)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = found.end()
    parts.append(re.escape(msgid[last:]))
    return re.compile("".join(parts), re.DOTALL)


@cache
def french() -> Catalog:
    """The fr-CA catalog as the service loads it."""
    translations = load_catalogs([FRENCH]).get(FRENCH)
    catalog = getattr(translations, "_catalog", {})
    return Catalog({k: v for k, v in catalog.items() if isinstance(k, str) and k and v})


_TRANSLATED_KWARGS = ("name", "has_text", "has_not_text", "text")


def _translate_args(t: Callable[[str], str], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    new_args = tuple(t(a) if isinstance(a, str) else _unwrap(a) for a in args)
    new_kwargs = {
        k: (t(v) if isinstance(v, str) and k in _TRANSLATED_KWARGS else _unwrap(v))
        for k, v in kwargs.items()
    }
    return new_args, new_kwargs


def _unwrap(value: Any) -> Any:
    return value.wrapped if isinstance(value, Translated) else value


# Methods whose first string argument is a label or text a customer reads; the others
# (goto, fill, locator with a CSS selector, screenshot, evaluate) get their strings as given.
_LABEL_METHODS = frozenset(
    {
        "get_by_role",
        "get_by_label",
        "get_by_text",
        "get_by_placeholder",
        "get_by_title",
        "get_by_alt_text",
        "filter",
    }
)


class Translated:
    """A page, locator or frame whose label lookups are translated (see the module)."""

    def __init__(self, wrapped: Any, t: Callable[[str], str]) -> None:
        self.wrapped = wrapped
        self._t = t

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.wrapped, name)
        if not callable(value):
            return _wrap(value, self._t)

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in _LABEL_METHODS:
                args, kwargs = _translate_args(self._t, args, kwargs)
            else:
                args = tuple(_unwrap(a) for a in args)
                kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
                if name in ("locator",) and "has_text" in kwargs:
                    kwargs["has_text"] = self._t(kwargs["has_text"])
            return _wrap(value(*args, **kwargs), self._t)

        return call

    def __iter__(self) -> Any:
        return (_wrap(item, self._t) for item in self.wrapped)

    def __repr__(self) -> str:
        return f"Translated({self.wrapped!r})"


def _wrap(value: Any, t: Callable[[str], str]) -> Any:
    kind = type(value).__name__
    if kind in ("Page", "Locator", "FrameLocator", "Frame", "BrowserContext"):
        return Translated(value, t)
    if isinstance(value, list) and value and type(value[0]).__name__ in ("Page", "Locator"):
        return [Translated(v, t) for v in value]
    return value


class _Assertions:
    def __init__(self, assertions: Any, t: Callable[[str], str]) -> None:
        self._assertions = assertions
        self._t = t

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._assertions, name)
        if name == "not_to_be_visible" or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            args = tuple(
                self._t(a) if isinstance(a, str) and not name.endswith("url") else a for a in args
            )
            if isinstance(args[:1], tuple) and args and isinstance(args[0], list):
                args = ([self._t(a) if isinstance(a, str) else a for a in args[0]], *args[1:])
            return value(*args, **kwargs)

        return call


def expect(actual: Any, message: str | None = None) -> Any:
    """Playwright's ``expect``, translating the texts of a ``Translated`` page's checks."""
    if isinstance(actual, Translated):
        return _Assertions(playwright_expect(actual.wrapped, message), actual._t)
    return playwright_expect(actual, message)


expect.set_options = playwright_expect.set_options  # type: ignore[attr-defined]
