"""The journeys again, in French: the same tests, with every label looked up in the catalog.

A journey test finds controls by their English labels. Run in French, its ``page`` is a
``Translated`` view of the real page: every string given to a locator (``get_by_role``'s
``name``, ``get_by_label``, ``get_by_text``, ``filter(has_text=)``, ``select_option(label=)``,
...) or to an assertion (``expect(...).to_have_text``, ``to_contain_text``, ``to_have_title``,
...) is first translated with the fr-CA catalog. A string that is a whole catalog entry is
replaced by its translation; one that fills an entry with placeholders (``Your code is
123456.`` for ``Your code is %(code)s.``) by the translation filled the same way, plural forms
included; a page title (``Sign in · Acme Market Canada``) part by part. A string the catalog
does not know stays as it is (an email address, a case number), so a test still fails when a
page shows English where French belongs: the French label is looked for and not found.

Where a test only checks that a page *contains* some words (``to_contain_text``,
``has_text=``), the words may be a piece of a longer entry; the view then looks for the whole
French sentence that entry becomes (its placeholders matching anything).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from playwright.sync_api import expect as playwright_expect

from entryway.adapters.i18n import po_files

FRENCH = "fr-CA"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[\s\u00a0\u202f]+")
# The French plural rule (nplurals=2; plural=(n > 1)).
_COUNTS = ("num", "count", "n", "number", "left", "minutes", "seconds", "days", "hours")


def _untag(text: str) -> str:
    return _TAG.sub("", text) if "<" in text else text


def _plain(text: str) -> str:
    """Text as a reader sees it: no markup, one space for every run of blanks."""
    return _SPACE.sub(" ", _TAG.sub("", text)).strip()


@dataclass(frozen=True, slots=True)
class _Template:
    pattern: re.Pattern[str]
    forms: tuple[str, ...]  # the French forms; one unless plural
    literal: int  # how much fixed text the English has: the more, the surer the match


class Catalog:
    """English -> French through the shipped catalog, templates and plurals included."""

    def __init__(
        self, entries: dict[str, str], plurals: Iterable[tuple[str, str, tuple[str, ...]]] = ()
    ) -> None:
        self.entries = dict(entries)
        self._plural_of: dict[str, tuple[str, ...]] = {}
        templates: list[_Template] = []
        for msgid, msgstr in entries.items():
            if _PLACEHOLDER.search(msgid):
                templates.append(_template(msgid, (msgstr,)))
        for singular, plural, forms in plurals:
            # English singular reads as French form 0, English plural as the form its count
            # asks for (French takes the singular for 0 and 1).
            self.entries.setdefault(singular, forms[0])
            self._plural_of[plural] = forms
            for english in (singular, plural):
                if _PLACEHOLDER.search(english):
                    templates.append(_template(english, forms))
        # An entry of placeholders alone ("%(brand)s %(site)s") would match any words.
        self._templates = sorted((t for t in templates if t.literal >= 2), key=lambda t: -t.literal)
        self._plain = {_plain(k): v for k, v in self.entries.items() if _plain(k)}
        for plural, forms in self._plural_of.items():
            self._plain.setdefault(_plain(plural), forms[-1])

    def __call__(self, english: str) -> str:
        found = self._exact(english)
        if found is not None:
            return found
        # A page title: "<page> · <brand> <site>", each part its own entry or a value.
        if " · " in english:
            parts = english.split(" · ")
            translated = [self(part) for part in parts]
            if translated != parts:
                return " · ".join(translated)
        return english

    def knows(self, english: str) -> bool:
        """Whether ``english`` is an entry (or fills one)."""
        return self(english) != english

    def _exact(self, english: str) -> str | None:
        found = self.entries.get(english) or self._plain.get(_plain(english))
        if found:
            return _untag(found)
        if english in self._plural_of:
            return _untag(self._plural_of[english][-1])
        for template in self._templates:
            match = template.pattern.fullmatch(english)
            if match:
                # A value that is itself a label ("Remove Authenticator app") is shown in
                # French inside the French sentence.
                values = {k: self._value(v) for k, v in match.groupdict().items()}
                return _untag(_fill(_pick_form(template.forms, values), values))
        return None

    def english_left(self, text: str) -> list[str]:
        """Catalog sentences still in English in ``text`` (a page in French): each run of
        three words or more of an entry's fixed text that its French does not share."""
        plain = _plain(text)
        return sorted({piece for piece in self._pieces() if piece in plain})

    @cache  # noqa: B019 (one catalog for the whole run)
    def _pieces(self) -> frozenset[str]:
        pieces = set()
        for english, french_text in self._plain.items():
            french_plain = _plain(_untag(french_text))
            for piece in _PLACEHOLDER.split(english):
                piece = (piece or "").strip(" .,:;")
                if len(piece.split()) >= 3 and piece not in french_plain:
                    pieces.add(piece)
        return frozenset(pieces)

    def _value(self, english: str) -> str:
        found = self.entries.get(english)
        return _untag(found) if found else english

    def containing(self, english: str) -> str | re.Pattern[str]:
        """What to look for where a page should *contain* ``english``: its translation, or
        else the French of the one entry it is a piece of (placeholders match anything)."""
        whole = self(english)
        if whole != english:
            return whole
        wanted = _plain(english)
        if len(wanted) < 4:
            return english
        hosts = [k for k in self._plain if wanted in _literal_text(k)]
        if not hosts or len(hosts) > 20:
            return english
        # Any of the sentences that hold the words may be the one on the page.
        return re.compile(
            "|".join(f"(?:{_loose(self._plain[host]).pattern})" for host in sorted(hosts)),
            re.DOTALL,
        )


def _literal_text(msgid: str) -> str:
    """A plain msgid with placeholders blanked, so words never match across one."""
    return _PLACEHOLDER.sub("\x00", msgid)


def _loose(french: str) -> re.Pattern[str]:
    """A French entry as a pattern: markup dropped, placeholders match anything, any run of
    blanks (no-break ones too) matches any other."""
    parts: list[str] = []
    last = 0
    text = _plain(french)
    for found in _PLACEHOLDER.finditer(text):
        parts.append(_blanks(re.escape(text[last : found.start()])))
        parts.append(r".+?")
        last = found.end()
    parts.append(_blanks(re.escape(text[last:])))
    return re.compile("".join(parts), re.DOTALL)


def _blanks(escaped: str) -> str:
    """Any run of blanks matches any other; "/" escaped too, as a pattern is also sent to
    the browser, where a bare "/" ends it."""
    spaced = re.sub(r"(?:\\ |[\s\u00a0\u202f])+", r"\\s+", escaped)
    return re.sub(r"(?<!\\)/", r"\\/", spaced)


def _template(msgid: str, forms: tuple[str, ...]) -> _Template:
    parts: list[str] = []
    last = 0
    seen: set[str] = set()
    literal = 0
    text = _plain(msgid)
    for found in _PLACEHOLDER.finditer(text):
        piece = text[last : found.start()]
        literal += len(piece.strip())
        parts.append(_blanks(re.escape(piece)))
        name = found.group(1) or found.group(2)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = found.end()
    literal += len(text[last:].strip())
    parts.append(_blanks(re.escape(text[last:])))
    return _Template(re.compile("".join(parts), re.DOTALL), forms, literal)


def _pick_form(forms: tuple[str, ...], values: dict[str, str]) -> str:
    if len(forms) == 1:
        return forms[0]
    counts = [values[k] for k in _COUNTS if k in values] + list(values.values())
    for value in counts:
        digits = value.replace("\u202f", "").replace("\u00a0", "").replace(",", "")
        if digits.isdigit():
            return forms[0] if int(digits) <= 1 else forms[1]
    return forms[-1]


def _fill(french: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), french)


@cache
def french() -> Catalog:
    """The fr-CA catalog as the service loads it (every .po file, a later one winning;
    fuzzy and empty entries left out, as the service leaves them out)."""
    entries: dict[str, str] = {}
    plurals: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for path in po_files(FRENCH):
        with path.open("rb") as source:
            catalog = read_po(source)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple | list):
                forms = tuple(message.string) if message.string else ()
                if forms and all(forms):
                    singular, plural = message.id[0], message.id[1]
                    plurals[singular] = (singular, plural, forms)
            elif message.string:
                # A context only narrows where an entry is used; the label is the same.
                if message.context and message.id in entries:
                    continue
                entries[message.id] = str(message.string)
    for english_text, french_text in _article_pairs():
        entries.setdefault(english_text, french_text)
    return Catalog(entries, plurals.values())


_HELP = Path(__file__).resolve().parents[2] / "src" / "entryway" / "content" / "help"
_OUTLINE = re.compile(r"^(#{1,3}) (.+)$", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _article_pairs() -> list[tuple[str, str]]:
    """Help articles are translated as whole files, not catalog entries: their titles,
    headings and link texts, paired by place (a translation keeps the outline and links)."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(_HELP.glob("*.md")):
        translated = _HELP / FRENCH / path.name
        if not translated.is_file():
            continue
        en, fr = path.read_text(), translated.read_text()
        en_outline, fr_outline = _OUTLINE.findall(en), _OUTLINE.findall(fr)
        if [h for h, _ in en_outline] == [h for h, _ in fr_outline]:
            pairs += [(e, f) for (_, e), (_, f) in zip(en_outline, fr_outline, strict=True)]
        en_links, fr_links = _LINK.findall(en), _LINK.findall(fr)
        if [u for _, u in en_links] == [u for _, u in fr_links]:
            pairs += [(e, f) for (e, _), (f, _) in zip(en_links, fr_links, strict=True)]
    return [(e, f) for e, f in pairs if e != f]


def english(text: str) -> str:
    """The identity, for a test that is not run in French."""
    return text


def words(page: Any) -> Callable[[str], str]:
    """The translation a page's test reads with: the catalog for a ``Translated`` page, else
    the identity (for texts a test builds, such as a pattern of two labels)."""
    return page._t if isinstance(page, Translated) else english


def untranslated(page: Any) -> Any:
    """The page itself, for a page that stays English in every language (the demo's own
    pages, such as the outbox, like the staff console)."""
    return page.wrapped if isinstance(page, Translated) else page


def one_of(page: Any, *texts: str) -> re.Pattern[str]:
    """A pattern matching exactly one of ``texts``, each read in the page's language."""
    t = words(page)
    return re.compile("^(?:" + "|".join(_blanks(re.escape(t(x))) for x in texts) + ")$")


# -- the view -------------------------------------------------------------------------------

# Keyword arguments that carry a text a customer reads, by method; ``*`` is every method.
_TEXT_KWARGS: dict[str, tuple[str, ...]] = {
    "filter": ("has_text", "has_not_text"),
    "locator": ("has_text", "has_not_text"),
    "get_by_role": ("name",),
    "select_option": ("label",),
}
# Keyword arguments checked as "contains" rather than "is".
_CONTAINS_KWARGS = ("has_text", "has_not_text")
# Methods whose first argument is a label or text a customer reads; the others (goto,
# fill, locator with a CSS selector, screenshot, evaluate) get their strings as given.
_LABEL_METHODS = frozenset(
    {
        "get_by_label",
        "get_by_text",
        "get_by_placeholder",
        "get_by_title",
        "get_by_alt_text",
    }
)


def _translate_pattern(t: Callable[[str], str], pattern: re.Pattern[str]) -> Any:
    """A pattern that is one label written as a regex (``^Sign in$``, ``Sign in · Acme``)
    becomes the French label as a pattern; any other pattern stays as it is."""
    source = pattern.pattern
    start = 1 if source.startswith("^") else 0
    end = len(source) - 1 if source.endswith("$") and not source.endswith("\\$") else len(source)
    body = source[start:end]
    if re.search(r"(?<!\\)[.^$*+?{}\[\]|()]", body) or re.search(r"\\[A-Za-z0-9]", body):
        return pattern  # a real pattern: the test builds it from translated words itself
    literal = re.sub(r"\\(.)", r"\1", body)
    translated = t(literal)
    if translated == literal:
        return pattern
    return re.compile(source[:start] + _blanks(re.escape(translated)) + source[end:], pattern.flags)


def _text(t: Callable[[str], str], value: Any, *, contains: bool = False) -> Any:
    if isinstance(value, str):
        if contains and isinstance(t, Catalog):
            return t.containing(value)
        return t(value)
    if isinstance(value, re.Pattern):
        return _translate_pattern(t, value)
    return _unwrap(value)


def _unwrap(value: Any) -> Any:
    return value.wrapped if isinstance(value, Translated) else value


class Translated:
    """A page, locator, frame or context whose label lookups are translated (see the
    module)."""

    def __init__(self, wrapped: Any, t: Callable[[str], str]) -> None:
        self.wrapped = wrapped
        self._t = t

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.wrapped, name)
        if not callable(value):
            return _wrap(value, self._t)

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in _LABEL_METHODS and args:
                args = (_text(self._t, args[0]), *(_unwrap(a) for a in args[1:]))
            else:
                args = tuple(_unwrap(a) for a in args)
            texts = _TEXT_KWARGS.get(name, ())
            kwargs = {
                k: (_text(self._t, v, contains=k in _CONTAINS_KWARGS) if k in texts else _unwrap(v))
                for k, v in kwargs.items()
            }
            return _wrap(value(*args, **kwargs), self._t)

        return call

    def __iter__(self) -> Any:
        return (_wrap(item, self._t) for item in self.wrapped)

    def __eq__(self, other: object) -> bool:
        return bool(self.wrapped == _unwrap(other))

    def __hash__(self) -> int:
        return hash(self.wrapped)

    def __repr__(self) -> str:
        return f"Translated({self.wrapped!r})"


_WRAPPED_KINDS = ("Page", "Locator", "FrameLocator", "Frame", "BrowserContext")


def _wrap(value: Any, t: Callable[[str], str]) -> Any:
    if type(value).__name__ in _WRAPPED_KINDS:
        return Translated(value, t)
    if isinstance(value, list) and value and type(value[0]).__name__ in _WRAPPED_KINDS:
        return [Translated(v, t) for v in value]
    return value


# Assertions whose expected value is a text a customer reads (the first argument), and the
# ones among them that only ask for it to be contained.
_TEXT_ASSERTIONS = frozenset(
    {
        "to_have_text",
        "not_to_have_text",
        "to_contain_text",
        "not_to_contain_text",
        "to_have_title",
        "not_to_have_title",
        "to_have_accessible_name",
        "not_to_have_accessible_name",
        "to_have_accessible_description",
        "not_to_have_accessible_description",
        "to_have_accessible_error_message",
        "not_to_have_accessible_error_message",
    }
)
_CONTAINS_ASSERTIONS = frozenset({"to_contain_text", "not_to_contain_text"})


class _Assertions:
    def __init__(self, assertions: Any, t: Callable[[str], str]) -> None:
        self._assertions = assertions
        self._t = t

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._assertions, name)
        if name not in _TEXT_ASSERTIONS or not callable(value):
            return value

        def call(expected: Any, *args: Any, **kwargs: Any) -> Any:
            contains = name in _CONTAINS_ASSERTIONS
            if isinstance(expected, list | tuple):
                expected = [_text(self._t, e, contains=contains) for e in expected]
            else:
                expected = _text(self._t, expected, contains=contains)
            return value(expected, *args, **kwargs)

        return call


def expect(actual: Any, message: str | None = None) -> Any:
    """Playwright's ``expect``, translating the texts of a ``Translated`` page's checks."""
    if isinstance(actual, Translated):
        return _Assertions(playwright_expect(actual.wrapped, message), actual._t)
    return playwright_expect(actual, message)


expect.set_options = playwright_expect.set_options  # type: ignore[attr-defined]


def words_for(site: str) -> Callable[[str], str]:
    """The translation texts of a test with ``site`` are read with (emails, subjects): the
    catalog for the French run ("ca-fr"), else the identity."""
    return french() if site == "ca-fr" else english


def says(text: str, english: str, site: str) -> bool:
    """Whether ``text`` (an email's body or subject) says ``english`` in the language of the
    run for ``site``: as it is, or its French (the whole French sentence, for a piece)."""
    if site != "ca-fr":
        return english in text
    wanted = french().containing(english)
    if isinstance(wanted, str):
        return wanted in text or _plain(wanted) in _plain(text)
    return wanted.search(text) is not None
