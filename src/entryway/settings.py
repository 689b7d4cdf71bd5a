"""Settings, read once at start from ``ENTRYWAY_*`` variables and an optional TOML file.

Every value has a safe default; ``Settings.problems()`` lists what is unsafe outside demo
mode, and the service refuses to start while that list is not empty.
"""

from __future__ import annotations

import os
import re
import tomllib
from email.utils import parseaddr
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from entryway.core.questions import Question, QuestionList
from entryway.core.sites import AndroidApp, Site
from entryway.core.suspension import DEMO_REASONS, ReasonCatalog, SuspensionReason
from entryway.settings_webhooks import WebhookReceiver

DEMO_BRAND_COLOR = "#0b6e4f"  # Acme Market's green
DEMO_APP_FINGERPRINT = ":".join(["5A"] * 32)  # no real certificate: a demo value


def demo_sites(port: int, host: str = "localhost") -> list[Site]:
    """The three demo regions, each on its own origin."""
    return [
        Site(
            code="us",
            name="United States",
            base_url=f"http://us.{host}:{port}",
            brand_color=DEMO_BRAND_COLOR,
            logo_url=f"http://us.{host}:{port}/static/logo.png",
            locale="en-US",
            phone_region="US",
            timezone="America/New_York",
            # An example of the store's apps, so the two app-link documents have something
            # to show (/.well-known/assetlinks.json, …/apple-app-site-association).
            android_apps=(AndroidApp("com.example.acmemarket", (DEMO_APP_FINGERPRINT,)),),
            apple_apps=("A1B2C3D4E5.com.example.acmemarket",),
        ),
        Site(
            code="uk",
            name="United Kingdom",
            base_url=f"http://uk.{host}:{port}",
            brand_color=DEMO_BRAND_COLOR,
            logo_url=f"http://uk.{host}:{port}/static/logo.png",
            locale="en-GB",
            phone_region="GB",
            timezone="Europe/London",
        ),
        Site(
            code="ca",
            name="Canada",
            base_url=f"http://ca.{host}:{port}",
            brand_color=DEMO_BRAND_COLOR,
            logo_url=f"http://ca.{host}:{port}/static/logo.png",
            locales=("en-CA", "fr-CA"),
            phone_region="CA",
            timezone="America/Toronto",
        ),
    ]


def listen_address(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9108`` for IPv6) as a host and a port number (0: any free one)."""
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected host:port such as 127.0.0.1:9108, got {value!r}")
    return host, int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENTRYWAY_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    database_url: str = "sqlite:///./var/entryway.db"
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    sites: list[Site] = Field(default_factory=list)  # validated by Site itself
    # Extra Host values answered by a site: {"127.0.0.1:8000": "us"}.
    site_aliases: dict[str, str] = Field(default_factory=dict)
    # The staff console's own origin ("" = no console). Its host must be none of the sites'.
    console_url: str = ""
    smtp_url: str = ""
    sms_webhook_url: str = ""
    # The store's order lookup (README "Order lookup"); "" = none. Requests are signed
    # with the secret, which must then be at least 32 characters.
    order_lookup_url: str = ""
    order_lookup_secret: str = ""
    mail_from: str = "Acme Market <no-reply@acme-market.example>"
    # How long the Message Center keeps messages (30 to 3650 days); housekeeping deletes
    # older ones (README "Housekeeping").
    message_retention_days: int = 365
    # Close your account: how long a closed account can still be reopened by Customer
    # Service (1 to 365 days); then housekeeping erases it (README "Close your account").
    closed_account_days: int = 30
    # DKIM signatures on outgoing email (README "Mail that proves where it came from"): all
    # three or none. `entryway dkim keygen` makes the key and prints the DNS record.
    dkim_selector: str = ""
    dkim_domain: str = ""
    dkim_private_key_file: str = ""
    trusted_proxies: list[str] = Field(default_factory=list)
    min_password_length: int = 8
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    hash_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1)
    hash_slots_per_address: int = 2  # sign-in password checks in flight per client address
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    remember_days: int = 30
    deliver_interval_seconds: float = 2.0
    # Lockout (SECURITY.md 5-10): failures per hour, counted in a sliding window.
    delay_after_failures: int = 3  # progressive delay from this many failures
    lock_after_failures: int = 10  # per account, from unrecognised devices
    known_device_lock_after: int = 20  # a device that signed in before keeps its own budget
    lock_minutes: int = 60  # a lock lifts by itself after this long
    unusual_after_failures: int = 3  # then a right password from a new device needs a code
    ip_unusual_after: int = 20  # failures from one address, across accounts: the same
    ip_refuse_after: int = 100  # failures from one address after which it is refused
    # Account recovery without the old contacts (core/recovery.py). Fractions of a minute
    # are allowed so tests can wait seconds; outside demo mode a wait under 24 hours refuses
    # to start.
    recovery_wait_minutes: float = 72 * 60
    recovery_wait_minutes_two_step: float = 7 * 24 * 60
    recovery_refusal_delay_minutes: float = 24 * 60  # "we could not verify it" comes after
    identity_checks_per_day: int = 3
    log_level: str = "info"
    # Prometheus metrics on a listener of their own, "host:port" ("" = off), e.g.
    # "127.0.0.1:9108". Keep it off the public network: it asks for no credentials.
    metrics_address: str = ""
    # The store's receivers of security events: [{url, secret, events}, ...] (README
    # "Security event webhooks"); each secret is whsec_ and base64, never shown.
    webhooks: list[WebhookReceiver] = Field(default_factory=list)
    # OpenID Connect provider (core/apps.py AppPolicy): lifetimes of what it issues.
    oidc_code_seconds: int = 60
    oidc_access_minutes: int = 15
    oidc_id_token_minutes: int = 15
    oidc_refresh_days: int = 14  # sliding: every rotation starts it again
    oidc_refresh_absolute_days: int = 365
    oidc_refresh_grace_seconds: float = 5.0  # a parallel retry of one refresh gets a sibling
    oidc_first_party_refresh: bool = True  # first-party apps get refresh tokens unasked
    oidc_key_publish_minutes: int = 60  # `entryway keys rotate`: in JWKS this long before use
    # A folder of <slug>.md help articles that replace or add to the shipped ones.
    help_articles_dir: str = ""
    # A folder whose page templates (<name>.html) and message templates (messages/<name>.txt,
    # .html, .sms.txt) replace the shipped ones of the same name (README "Templates").
    templates_dir: str = ""
    # The verification questions customers pick from: [{id, text}, ...]; empty = the shipped
    # list (core/questions.py). Ids are stored with answers: never rename or reuse one.
    verification_questions: list[Question] = Field(default_factory=list)
    # The grounds staff may suspend an account on: [{code, title, explanation, terms_section,
    # appealable, appeal_days}, ...]; empty = none outside demo mode, the demo's own in it
    # (core/suspension.py). Codes are stored with suspensions: never rename or reuse one.
    suspension_reasons: list[SuspensionReason] = Field(default_factory=list)

    @field_validator("metrics_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if value:
            listen_address(value)  # raises with the bad value in the message
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ip_network(net, strict=False)  # raises with the bad value in the message
        return value

    @field_validator("verification_questions")
    @classmethod
    def _questions(cls, value: list[Question]) -> list[Question]:
        if value:
            QuestionList(tuple(value))  # unique ids, at least three: else refuse to start
        return value

    @field_validator("suspension_reasons")
    @classmethod
    def _reasons(cls, value: list[SuspensionReason]) -> list[SuspensionReason]:
        ReasonCatalog(tuple(value))  # unique codes: else refuse to start
        return value

    def reason_catalog(self) -> ReasonCatalog:
        """The store's suspension reasons; the demo's when none are set in demo mode."""
        if self.suspension_reasons:
            return ReasonCatalog(tuple(self.suspension_reasons))
        return ReasonCatalog(DEMO_REASONS if self.demo else ())

    def question_list(self) -> QuestionList:
        """The store's own questions when set, else the shipped list."""
        if self.verification_questions:
            return QuestionList(tuple(self.verification_questions))
        return QuestionList()

    def problems(self) -> list[str]:
        """Settings that are unsafe for a real deployment (ignored in demo mode)."""
        if self.demo:
            return []
        found = []
        if len(self.secret_key) < 32:
            found.append("ENTRYWAY_SECRET_KEY must be set to at least 32 random characters")
        if not self.sites:
            found.append(
                "configure at least one site (ENTRYWAY_SITES or [[sites]] in the "
                "ENTRYWAY_CONFIG file)"
            )
        for site in self.sites:
            if not site.base_url.startswith("https://") and "localhost" not in site.base_url:
                found.append(f"site {site.code} must use https:// outside localhost")
        console = urlsplit(self.console_url)
        if (
            self.console_url
            and console.scheme != "https"
            and not _is_localhost(console.hostname or "")
        ):
            found.append("ENTRYWAY_CONSOLE_URL must use https:// outside localhost")
        lookup = urlsplit(self.order_lookup_url)
        if (
            self.order_lookup_url
            and lookup.scheme != "https"
            and not _is_localhost(lookup.hostname or "")
        ):
            found.append("ENTRYWAY_ORDER_LOOKUP_URL must use https:// outside localhost")
        for name in ("recovery_wait_minutes", "recovery_wait_minutes_two_step"):
            if getattr(self, name) < MIN_RECOVERY_WAIT_MINUTES:
                found.append(
                    f"ENTRYWAY_{name.upper()} must be at least {MIN_RECOVERY_WAIT_MINUTES} "
                    f"(24 hours) outside demo mode, got {getattr(self, name)}"
                )
        return found + self.console_problems() + self.order_lookup_problems()

    def order_lookup_problems(self) -> list[str]:
        """An order lookup that cannot work: not an http(s) URL, or no secret to sign with
        (checked in demo mode too: an unsigned request is one a store must refuse)."""
        if not self.order_lookup_url:
            return []
        found = []
        parts = urlsplit(self.order_lookup_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            found.append(
                "ENTRYWAY_ORDER_LOOKUP_URL must be an http(s) URL, "
                f"got {redact_url(self.order_lookup_url)!r}"
            )
        if len(self.order_lookup_secret) < 32:
            found.append(
                "ENTRYWAY_ORDER_LOOKUP_SECRET must be set to at least 32 random characters "
                "when ENTRYWAY_ORDER_LOOKUP_URL is"
            )
        return found

    def dkim_problems(self) -> list[str]:
        """DKIM settings that cannot sign, or would sign for a domain the sender is not of
        (a receiver's DMARC check wants the two aligned); checked in demo mode too."""
        given = [self.dkim_selector, self.dkim_domain, self.dkim_private_key_file]
        if not any(given):
            return []
        if not all(given):
            return [
                "set all three of ENTRYWAY_DKIM_SELECTOR, ENTRYWAY_DKIM_DOMAIN and "
                "ENTRYWAY_DKIM_PRIVATE_KEY_FILE, or none"
            ]
        found = []
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", self.dkim_selector):
            found.append(
                f"ENTRYWAY_DKIM_SELECTOR must be one DNS label, got {self.dkim_selector!r}"
            )
        sender = (parseaddr(self.mail_from)[1] or self.mail_from).rsplit("@", 1)[-1].lower()
        domain = self.dkim_domain.lower().rstrip(".")
        if "." not in domain:
            found.append(f"ENTRYWAY_DKIM_DOMAIN must be a registered domain, got {domain!r}")
        elif sender != domain and not sender.endswith("." + domain):
            found.append(
                f"ENTRYWAY_DKIM_DOMAIN {self.dkim_domain!r} must be the domain of "
                f"ENTRYWAY_MAIL_FROM ({sender}) or one it belongs to"
            )
        return found

    def console_problems(self) -> list[str]:
        """A console URL that cannot work: not an origin, or a site's host (checked in demo
        mode too: the console must never share an origin with a site, SECURITY.md 30)."""
        if not self.console_url:
            return []
        parts = urlsplit(self.console_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            return [
                "ENTRYWAY_CONSOLE_URL must be an origin like https://console.example, "
                f"got {self.console_url!r}"
            ]
        host = console_host(self.console_url)
        # Host names, whatever the port: cookies and passkeys (a relying party is a host
        # name) do not tell ports apart, so shop.example:8443 is shop.example's.
        name = (urlsplit(self.console_url).hostname or "").lower()
        taken = {(urlsplit(s.base_url).hostname or "").lower() for s in self.sites} | {
            (urlsplit(f"//{a}").hostname or "").lower() for a in self.site_aliases
        }
        if name in taken:
            return [
                f"ENTRYWAY_CONSOLE_URL's host {host} is also a site's; give the console its own"
            ]
        return []

    def redacted(self) -> list[tuple[str, str]]:
        """Every setting as (name, shown value) for the console's read-only settings page:
        only settings known to be safe are shown, URLs without their credentials or query,
        and every other setting, a new one too, as "(redacted)"."""
        rows = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value == "":
                shown = NOT_SET
            elif name in SHOWN_AS_IS:
                shown = str(value)
            elif name in SHOWN_AS_URL:
                shown = redact_url(value)
            elif name in SHOWN_AS_SITES:
                shown = ", ".join(f"{s.code} {redact_url(s.base_url)}" for s in value)
            else:  # SECRET_SETTINGS, or not classified yet: never shown by omission
                shown = REDACTED
            rows.append((name, shown))
        return rows


MIN_RECOVERY_WAIT_MINUTES = 24 * 60  # the old contacts need time to see a notice and stop it
REDACTED = "(redacted)"
NOT_SET = "(not set)"  # an empty value: nothing to hide, and nothing to show either
# How the settings page shows each setting. A setting named in none of these is redacted,
# so a secret added later stays hidden even if nobody remembers to list it; the tests
# insist that every setting is classified here, to keep the page useful.
SHOWN_AS_IS = frozenset(
    {
        "demo",
        "host",
        "port",
        "site_aliases",
        "mail_from",
        "message_retention_days",
        "closed_account_days",
        "dkim_selector",
        "dkim_domain",
        "dkim_private_key_file",
        "trusted_proxies",
        "min_password_length",
        "argon2_memory_kib",
        "argon2_time_cost",
        "hash_concurrency",
        "hash_slots_per_address",
        "session_idle_minutes",
        "session_absolute_hours",
        "remember_days",
        "deliver_interval_seconds",
        "delay_after_failures",
        "lock_after_failures",
        "known_device_lock_after",
        "lock_minutes",
        "unusual_after_failures",
        "ip_unusual_after",
        "ip_refuse_after",
        "log_level",
        "metrics_address",
        "recovery_wait_minutes",
        "recovery_wait_minutes_two_step",
        "recovery_refusal_delay_minutes",
        "identity_checks_per_day",
        "help_articles_dir",
        "templates_dir",
        "verification_questions",
        "suspension_reasons",
        "oidc_code_seconds",
        "oidc_access_minutes",
        "oidc_id_token_minutes",
        "oidc_refresh_days",
        "oidc_refresh_absolute_days",
        "oidc_refresh_grace_seconds",
        "oidc_first_party_refresh",
        "oidc_key_publish_minutes",
    }
)
SHOWN_AS_URL = frozenset(
    {"database_url", "console_url", "smtp_url", "sms_webhook_url", "order_lookup_url"}
)
SHOWN_AS_SITES = frozenset({"sites"})
SECRET_SETTINGS = frozenset({"secret_key", "order_lookup_secret", "webhooks"})  # webhooks: secrets


def redact_url(url: str) -> str:
    """A URL with its scheme, host, port and path, but never its user name, password or
    query (where webhook tokens travel); the marker says something was left out."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not a URL we can take apart: nothing in it is known to be safe
        return REDACTED
    if not parts.scheme:
        return REDACTED
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    if port:
        netloc += f":{port}"
    if parts.username or parts.password:
        netloc = f"{REDACTED}@{netloc}"
    query = f"?{REDACTED}" if parts.query else ""
    return f"{parts.scheme}://{netloc}{parts.path}{query}"


def console_host(url: str) -> str:
    """The Host header the console answers to (lower case, port kept)."""
    return urlsplit(url).netloc.lower()


def _is_localhost(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the TOML file named by ENTRYWAY_CONFIG (if any), then the environment,
    then ``overrides`` (the command line)."""
    values: dict[str, Any] = {}
    path = os.environ.get("ENTRYWAY_CONFIG")
    if path:
        values.update(tomllib.loads(Path(path).read_text("utf-8")))
    env = Settings()
    values.update({k: getattr(env, k) for k in env.model_fields_set})
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
