"""The recovery, suspension and appeal messages render in every locale of the Canada site
with their sample values; French reads differently from English, and the words a staff
member wrote are escaped in the HTML part and never turned into links."""

from __future__ import annotations

from typing import Any

import pytest

from entryway.adapters.i18n import load_catalogs
from entryway.adapters.messages import MessageTemplates
from entryway.settings import demo_sites
from tests.adapters.message_samples_b import SAMPLES, VARIANTS

SITE = demo_sites(8000)[2]  # Canada: en-CA and fr-CA
MESSAGES = MessageTemplates(load_catalogs(list(SITE.locales)))
CASES = list(SAMPLES.items()) + VARIANTS


def _render(name: str, locale: str, values: dict[str, Any]) -> str:
    if name.endswith(".sms"):
        return MESSAGES.sms(name.removesuffix(".sms"), SITE, locale, **values)
    rendered = MESSAGES.email(name, SITE, locale, **values)
    assert rendered.subject and rendered.text and rendered.html.startswith("<!doctype html>")
    return f"{rendered.subject}\n{rendered.text}"


@pytest.mark.parametrize(("name", "values"), CASES, ids=[name for name, _ in CASES])
def test_renders_in_english_and_french(name: str, values: dict[str, Any]) -> None:
    english, french = _render(name, "en-CA", values), _render(name, "fr-CA", values)
    assert english != french
    for line in english.splitlines():  # every sentence of ours is translated
        if line and not any(str(v) in line for v in values.values() if v):
            assert line not in french, line


def test_every_template_of_ours_has_a_sample() -> None:
    ours = ("recovery_", "suspension_", "warning_", "appeal_")
    names = {n for n in MESSAGES.names() if n.startswith(ours)}
    assert names == set(SAMPLES)


def test_texts_stay_in_gsm7() -> None:
    """Plain ' and spaces in texts: a ’ or a narrow space would make each one a UCS-2
    text of 70 characters a part."""
    for name, values in CASES:
        if name.endswith(".sms"):
            text = _render(
                name, "fr-CA", {**values, "excerpt": "x"} if "excerpt" in values else values
            )
            assert not set(text) & {"\u2019", "\u202f", "\u00a0", "ê", "ç", "â", "î", "ô", "û"}, (
                text
            )


def test_staff_words_are_escaped_in_the_html_part() -> None:
    planted = '<a href="https://evil.example/">click</a> & https://evil.example/x'
    for locale in SITE.locales:
        rendered = MESSAGES.email(
            "suspension_statement", SITE, locale,
            **{**SAMPLES["suspension_statement"], "facts": planted},
        )  # fmt: skip
        assert planted in rendered.text  # the text part quotes it as written
        assert '<a href="https://evil.example/' not in rendered.html
        assert (
            "&lt;a href=&#34;https://evil.example/&#34;&gt;click&lt;/a&gt; &amp;" in rendered.html
        )
        assert 'href="https://evil.example/x"' not in rendered.html
        assert f'href="{SITE.origin}/suspension/appeal?token=' in rendered.html  # ours stays
