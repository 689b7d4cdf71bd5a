"""The console's settings page shows only settings known to be safe; everything else,
a setting added later too, is redacted (SECURITY.md 33)."""

from __future__ import annotations

import pytest

from entryway.settings import (
    REDACTED,
    SECRET_SETTINGS,
    SHOWN_AS_IS,
    SHOWN_AS_SITES,
    SHOWN_AS_URL,
    Settings,
    demo_sites,
    redact_url,
)

GROUPS = (SHOWN_AS_IS, SHOWN_AS_URL, SHOWN_AS_SITES, SECRET_SETTINGS)


def test_every_setting_is_classified_exactly_once() -> None:
    fields = set(Settings.model_fields)
    classified = set().union(*GROUPS)
    assert fields - classified == set(), "classify each new setting in entryway.settings"
    assert classified - fields == set(), "a classified setting no longer exists"
    assert sum(len(g) for g in GROUPS) == len(classified), "a setting is in two groups"


def test_a_setting_nobody_classified_is_redacted() -> None:
    class Later(Settings):
        payments_api_key: str = "pk-live-1234567890"
        empty_token: str = ""

    rows = dict(Later(secret_key="k" * 40).redacted())
    assert rows["payments_api_key"] == REDACTED
    assert rows["empty_token"] == "(not set)"
    assert not [v for v in rows.values() if "pk-live" in v]


def test_no_secret_shows_anywhere() -> None:
    secrets = (
        "k" * 40,
        "db-pass",
        "smtp-pass",
        "sms-user",
        "tok-in-query",
        "site-pass",
        "o" * 40,
        "store-key",
    )
    settings = Settings(
        secret_key=secrets[0],
        database_url="postgresql+asyncpg://app:db-pass@db.example:5432/entryway",
        smtp_url="smtp://mailer:smtp-pass@mail.example:587",
        sms_webhook_url="https://sms-user:pw@sms.example/send?token=tok-in-query",
        console_url="https://console.example",
        sites=demo_sites(8000),
        order_lookup_url="https://store.example/orders/lookup?key=store-key",
        order_lookup_secret="o" * 40,
    )
    rows = dict(settings.redacted())
    assert rows["secret_key"] == REDACTED
    assert rows["database_url"] == "postgresql+asyncpg://(redacted)@db.example:5432/entryway"
    assert rows["smtp_url"] == "smtp://(redacted)@mail.example:587"
    assert rows["sms_webhook_url"] == "https://(redacted)@sms.example/send?(redacted)"
    assert rows["order_lookup_secret"] == REDACTED
    assert rows["order_lookup_url"] == "https://store.example/orders/lookup?(redacted)"
    assert rows["lock_after_failures"] == "10" and rows["port"] == "8000"
    assert rows["sites"].startswith("us http://us.localhost:8000")
    assert rows["help_articles_dir"] == "(not set)"
    for secret in secrets:
        assert not [v for v in rows.values() if secret in v], secret


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:///./var/entryway.db", "sqlite:///./var/entryway.db"),
        ("sqlite:////srv/entryway.db", "sqlite:////srv/entryway.db"),
        ("https://[2001:db8::1]:8443/hook?k=v#x", "https://[2001:db8::1]:8443/hook?(redacted)"),
        ("https://hooks.example:notaport/x", REDACTED),
        ("no scheme:s3cret", REDACTED),
        ("", ""),
    ],
)
def test_urls_keep_host_port_and_path_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown
