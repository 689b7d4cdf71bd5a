"""Every message template, rendered for every locale of every demo site with the shipped
catalogs (issue 13): no missing value, a one-line subject, an HTML part that says what the
text part says (escaped), no English left in French, every placeholder of a msgid kept in
its translation, and texts within one 160-character GSM-7 SMS where they can be.

Sample values come from ``SAMPLES`` in every ``tests/adapters/message_samples_*.py``
(template name, or ``<name>.sms`` for a text, -> values or a list of values, one per
variant); a template without samples fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from markupsafe import escape

from entryway.adapters.i18n import load_catalogs, po_files
from entryway.adapters.messages import PACKAGED, MessageTemplates
from entryway.core.sites import Site
from entryway.settings import demo_sites

SITES = demo_sites(8000)
LOCALES = [(site.code, tag) for site in SITES for tag in site.locales]
TEMPLATES = MessageTemplates(load_catalogs([tag for site in SITES for tag in site.locales]))
NAMES = TEMPLATES.names()  # "<name>" for an email, "<name>.sms" for a text message
SMS = ".sms"

# What GSM 03.38 sends in 7 bits: the basic set (one septet) and its extension (two).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[]~|€\f")
SMS_LIMIT = 160
# Texts that cannot fit in one SMS, and why (their words are still GSM-7; only the length).
LONGER_THAN_ONE_SMS = {
    "account_locked.sms": "the unlock link alone is 81 characters (its token is 43)",
    "case_reply.sms": "an 80-character excerpt of the reply beside an 80-character link",
    "suspension_statement.sms": "the appeal link alone is 85 characters (its token is 43)",
    "appeal_upheld.sms": "an excerpt of the decision's reason beside an 85-character link",
}
# Values that are not GSM-7 and make a text UCS-2 (70 characters a part) whatever the words:
# a masked phone number (•, core.masking) and a cut reply's ellipsis (…). The template's own
# words are checked without them.
# Words that only English has; searched in French after links, brand, site names and the
# sample values are taken out.
ENGLISH = re.compile(
    r"\b(the|your|you|and|is|was|were|with|this|that|please|has|have|account|password|"
    r"email|sign|signed|code is|not|don't|it|if|of|to|for|by|or|on your|here)\b"
)
URL = re.compile(r"https?://\S+")


def _samples() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(__file__).parent.glob("message_samples_*.py")):
        module = importlib.import_module(f"tests.adapters.{path.stem}")
        for name, values in module.SAMPLES.items():
            assert name not in found, f"{name}: samples in two modules"
            found[name] = values if isinstance(values, list) else [values]
    return found


SAMPLES = _samples()


def test_every_template_has_samples() -> None:
    assert [name for name in NAMES if name not in SAMPLES] == []
    assert [name for name in SAMPLES if name not in NAMES] == []  # a template was removed


def _site(code: str) -> Site:
    return next(site for site in SITES if site.code == code)


def _value_texts(values: dict[str, Any]) -> list[str]:
    """Every string a sample puts into the words (a Site value gives its names)."""
    out: list[str] = []
    for value in values.values():
        if isinstance(value, Site):
            out += [value.brand, value.name, value.origin]
        elif isinstance(value, str):
            out += [value, *value.split("\n")]
    return sorted({part for part in out if part.strip()}, key=len, reverse=True)


def _without(text: str, site: Site, values: dict[str, Any]) -> str:
    """The template's own words: links, brand, site name and values taken out."""
    text = URL.sub(" ", text)
    for part in [*_value_texts(values), site.brand, site.name]:
        text = text.replace(part, " ")
    return text


def _no_english(text: str, site: Site, values: dict[str, Any]) -> None:
    left = ENGLISH.findall(_without(text, site, values).lower())
    assert not left, f"English {left} in: {text}"


def _septets(text: str) -> int:
    return sum(2 if c in GSM_EXTENDED else 1 for c in text)


def _check_email(name: str, site: Site, locale: str, values: dict[str, Any]) -> None:
    mail = TEMPLATES.email(name, site, locale, **values)  # a missing value raises
    assert mail.subject and "\n" not in mail.subject, mail.subject
    assert mail.text.strip(), name
    assert f'lang="{locale}"' in mail.html
    for paragraph in mail.text.split("\n\n"):
        for piece in re.split(r"https?://\S+|\n", paragraph):
            if piece.strip():
                assert str(escape(piece.strip())) in mail.html, piece
    for value in _value_texts(values):
        if "<" in value or "&" in value:
            assert value not in mail.html, value  # a customer's or agent's words, escaped
    if locale.startswith("fr"):
        _no_english(mail.subject + "\n" + mail.text, site, values)


def _check_sms(name: str, site: Site, locale: str, values: dict[str, Any]) -> None:
    text = TEMPLATES.sms(name.removesuffix(SMS), site, locale, **values)
    assert text and "\n" not in text
    own = _without(text, site, values)
    assert set(own) <= GSM_BASIC | GSM_EXTENDED, sorted(set(own) - GSM_BASIC - GSM_EXTENDED)
    if name not in LONGER_THAN_ONE_SMS:
        assert _septets(text) <= SMS_LIMIT, f"{_septets(text)}: {text}"
    if locale.startswith("fr"):
        _no_english(text, site, values)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("code", "locale"), LOCALES)
def test_every_template_renders(name: str, code: str, locale: str) -> None:
    if name not in SAMPLES:
        pytest.fail(f"{name} has no SAMPLES in tests/adapters/message_samples_*.py")
    site = _site(code)
    for values in SAMPLES[name]:
        if name.endswith(SMS):
            _check_sms(name, site, locale, values)
        else:
            _check_email(name, site, locale, values)


def _template_msgids() -> list[str]:
    """What Babel extracts from the shipped message templates (as scripts/i18n does)."""
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    found: list[str] = []
    for path in sorted(PACKAGED.glob("*.txt")):
        for _, message, _, _ in extract_from_file("jinja2", str(path), options=options):
            found += [message] if isinstance(message, str) else list(message)
    return list(dict.fromkeys(found))


def _catalog(tag: str) -> dict[str, tuple[str, bool]]:
    """msgid -> (msgstr, fuzzy) over every .po file of the locale, later files winning."""
    entries: dict[str, tuple[str, bool]] = {}
    for path in po_files(tag):
        with path.open("rb") as source:
            for message in read_po(source):
                if message.id and isinstance(message.id, str):
                    entries[message.id] = (str(message.string), message.fuzzy)
    return entries


def test_every_message_is_translated_with_its_placeholders() -> None:
    tags = {tag for site in SITES for tag in site.locales if not tag.startswith("en")}
    msgids = _template_msgids()
    assert msgids
    for tag in sorted(tags):
        catalog = _catalog(tag)
        for msgid in msgids:
            msgstr, fuzzy = catalog.get(msgid, ("", False))
            assert msgstr and not fuzzy, f"{tag}: untranslated {msgid!r}"
            kept = sorted(re.findall(r"%\(\w+\)s", msgstr))
            assert sorted(set(re.findall(r"%\(\w+\)s", msgid))) == sorted(set(kept)), msgstr


def test_the_sms_apostrophe_rule_is_in_every_sms_template_comment() -> None:
    for path in sorted(PACKAGED.glob("*.sms.txt")):
        head = path.read_text(encoding="utf-8").split("-#}")[0].lower()
        assert "plain apostrophe" in head and "values:" in head, path.name
