"""The French (Canada) catalog is complete, exact and typeset as the OQLF asks.

The source texts are extracted here as ``scripts/i18n extract`` does (Babel's API with the
mapping in ``babel.cfg``); the catalog is every ``.po`` file of the locale, merged as the
service loads it (``adapters.i18n``). Each test lists every fault it finds, by file and
msgid, so one run shows all that is left to do.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from entryway.adapters.i18n import load_catalogs, po_files

ROOT = Path(__file__).resolve().parents[2]
LOCALE = "fr-CA"
# Texts messages are plain GSM-7 where they can be (160 characters a part), which has
# neither a typographic apostrophe nor a no-break space: there a straight apostrophe and a
# plain space before ':' and '?' are the right ones, and the only place they are. The
# two-step change phrases are written once for the email and the text that include them.
SMS = ("src/entryway/messages/*.sms.txt", "src/entryway/messages/_two_step_change.txt")
PLACEHOLDER = re.compile(r"%\([a-z_][a-z0-9_]*\)[sd]|\{[a-z_][a-z0-9_]*(?:![rs])?\}")
TAG = re.compile(r"<[^>]*>")
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
NBSP, NNBSP = "\u00a0", "\u202f"


@cache
def source() -> dict[str, frozenset[str]]:
    """Every msgid (and msgid_plural) the source marks, with the files it comes from."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, set[str]] = defaultdict(set)
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found[text].add(filename)
    return {text: frozenset(files) for text, files in found.items()}


@dataclass(frozen=True)
class Entry:
    po: str  # the file's name, for the report
    message: Message

    @property
    def msgid(self) -> str:
        return self.message.id if isinstance(self.message.id, str) else self.message.id[0]

    def ids(self) -> tuple[str, ...]:
        m = self.message.id
        return (m,) if isinstance(m, str) else tuple(m)

    def strings(self) -> tuple[str, ...]:
        s = self.message.string
        return (s,) if isinstance(s, str) else tuple(s)

    def __str__(self) -> str:
        return f"{self.po}: {self.msgid!r}"


@cache
def entries() -> tuple[Entry, ...]:
    """Every entry of the locale's .po files but their headers."""
    found = []
    for path in po_files(LOCALE):
        with path.open("rb") as po:
            catalog = read_po(po)
        found.extend(Entry(path.name, m) for m in catalog if m.id)
    return tuple(found)


def report(faults: list[str]) -> str:
    return f"{len(faults)} fault(s):\n  " + "\n  ".join(faults)


def test_the_source_has_texts_to_translate() -> None:
    """A guard on the extraction itself: an empty result would make every test below pass."""
    assert "This step has expired. Please start again." in source()
    assert "Use at least {n} characters." in source()


def test_every_source_text_is_translated_in_the_merged_catalog() -> None:
    compiled = load_catalogs([LOCALE]).get(LOCALE)
    # The compiled catalog keeps only usable entries (not fuzzy, not empty), keyed by msgid
    # or by (msgid, plural form) for plurals.
    known = {k if isinstance(k, str) else k[0] for k in getattr(compiled, "_catalog", {})}
    plurals = {e.ids()[1] for e in entries() if len(e.ids()) > 1}
    missing = sorted(
        f"{text!r} (from {', '.join(sorted(source()[text]))})"
        for text in source()
        if text not in known and text not in plurals
    )
    assert not missing, "not translated in fr-CA: " + report(missing)


def test_no_entry_is_fuzzy_or_empty() -> None:
    faults = [
        f"{e}: {'fuzzy' if e.message.fuzzy else 'empty msgstr'}"
        for e in entries()
        if e.message.fuzzy or not all(s.strip() for s in e.strings())
    ]
    assert not faults, report(faults)


def test_every_placeholder_is_kept() -> None:
    """A lost ``%(name)s`` shows the wrong words; a new one raises when it is filled in."""
    faults = []
    for e in entries():
        wanted = {p for text in e.ids() for p in PLACEHOLDER.findall(text)}
        for string in e.strings():
            got = set(PLACEHOLDER.findall(string))
            single = len(e.ids()) == 1
            if (single and got != wanted) or got - wanted:
                faults.append(f"{e}: has {sorted(got)}, the msgid {sorted(wanted)}")
    assert not faults, report(faults)


def test_no_entry_is_obsolete() -> None:
    """An entry the source no longer has is dead weight that a translator keeps updating."""
    faults = [f"{e}: not in the source any more" for e in entries() if e.msgid not in source()]
    assert not faults, report(faults)


def _prose(text: str) -> str:
    """The words a reader sees: no HTML tags (their attributes hold URLs) and no entities."""
    return ENTITY.sub("", TAG.sub("", text))


def typography_faults(msgid: str, text: str, sms: bool = False) -> list[str]:
    """What breaks the spec's French typography in ``text`` (a msgstr of ``msgid``)."""
    faults = []
    prose = _prose(text)
    for m in re.finditer(r"(.)([:;?!»])", prose):
        before, mark = m.groups()
        if before in " \t\n":
            if not sms:
                faults.append(f"a plain space before {mark!r}")
            continue
        if before in (NBSP, NNBSP):
            continue
        after = prose[m.end() : m.end() + 1]
        if mark == "»" or (after and not after.isspace() and after not in "».,)»\"'’"):
            continue  # glued to what follows: a URL, a time, a placeholder's flag
        word = re.search(r"\S+$", prose[: m.start() + 1])
        token = (word.group(0) if word else before) + mark
        if token in msgid:
            continue  # written as the English has it: a header name, a code
        faults.append(f"no no-break space before {mark!r} in {token!r}")
    if re.search(r"«[ \t]", prose):
        faults.append("a plain space after '«'")
    if not sms and "'" in prose:
        faults.append("a straight apostrophe (write ’)")
    if not sms and '"' in prose:
        faults.append("straight double quotes (write « »)")
    return faults


def test_french_typography() -> None:
    """U+00A0 before ':' and inside « », U+202F (or U+00A0) before ? ! ;, ’ not ' — but in
    text messages, whose plain GSM-7 has no typographic apostrophe."""
    faults = []
    for e in entries():
        files = source().get(e.msgid, frozenset())
        sms = bool(files) and all(any(fnmatch(f, p) for p in SMS) for f in files)
        for string in e.strings():
            faults.extend(f"{e}: {why}" for why in typography_faults(e.msgid, string, sms))
    assert not faults, report(faults)


def test_typography_check_itself() -> None:
    assert typography_faults("Name: x", "Nom : x") == ["a plain space before ':'"]
    assert typography_faults("Name: x", "Nom: x") == ["no no-break space before ':' in 'Nom:'"]
    assert typography_faults("Why?", f"Pourquoi{NNBSP}?") == []
    assert typography_faults("Why?", "Pourquoi?") == ["no no-break space before '?' in 'Pourquoi?'"]
    assert typography_faults("Send A: B", "Envoyez A: B") == []
    assert typography_faults("x", "<a href='/a?b=1'>l’aide</a>") == []
    assert typography_faults("It's", "C'est") == ["a straight apostrophe (write ’)"]
    assert typography_faults("It's", "C'est", sms=True) == []
    assert typography_faults("x", f"«{NBSP}Oui{NBSP}»") == []
    assert typography_faults("x", "« Oui »") == [
        "a plain space before '»'",
        "a plain space after '«'",
    ]
