"""Regional sites: each has its own origin, accounts, sessions and cookies."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from entryway.core.locales import valid_tag

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FINGERPRINT = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){31}$")  # SHA-256, as keytool prints it
_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
_APPLE_APP = re.compile(r"^[A-Z0-9]{10}\.[A-Za-z0-9.-]+$")  # TEAMID.bundle.id
_APP_ORIGIN = re.compile(r"^android:apk-key-hash:[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True, slots=True)
class AndroidApp:
    """One of the store's Android apps: its package and the SHA-256 fingerprints of the
    certificates it is signed with (``AA:BB:…``). The site vouches for it in
    ``/.well-known/assetlinks.json``, and accepts its passkeys."""

    package: str
    fingerprints: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _PACKAGE.match(self.package):
            raise ValueError(
                f"an Android package name such as com.example.app, got {self.package!r}"
            )
        prints = tuple(f.upper() for f in self.fingerprints)
        if not prints or not all(_FINGERPRINT.match(f) for f in prints):
            raise ValueError(
                f"app {self.package!r}: fingerprints are SHA-256 as AA:BB:… (32 pairs), got "
                f"{self.fingerprints!r}"
            )
        object.__setattr__(self, "fingerprints", prints)

    @property
    def origins(self) -> tuple[str, ...]:
        """The WebAuthn origins the app's passkey requests carry, one per certificate."""
        return tuple(
            "android:apk-key-hash:"
            + base64.urlsafe_b64encode(bytes.fromhex(f.replace(":", ""))).rstrip(b"=").decode()
            for f in self.fingerprints
        )


@dataclass(frozen=True, slots=True)
class Site:
    """One regional site as configured; ``code`` is what rows are scoped by."""

    code: str
    name: str
    base_url: str
    brand: str = "Acme Market"
    # ``locales``: the languages the site is written in, its default first; ``locale`` is
    # the shorthand for a site with one (and always names the default).
    locale: str = "en-US"
    locales: tuple[str, ...] = ()
    # How messages look: the brand's colour (#rrggbb) and, when set, the absolute URL of a
    # logo that emails show (the only remote image a message ever loads).
    brand_color: str = "#1f5f8b"
    logo_url: str = ""
    phone_region: str = "US"
    # Whether a reset asked for an unknown email address tells that address so.
    reset_notice_unknown: bool = False
    support_email: str = "help@acme-market.example"
    # IANA zone name: every time shown on this site's pages is written in it.
    timezone: str = "UTC"
    # The store's native apps, for passkeys: Android apps (served in assetlinks.json, their
    # origins accepted), Apple apps as TEAMID.bundle.id (apple-app-site-association), and
    # any further origins a native app's assertions may carry (android:apk-key-hash:…).
    android_apps: tuple[AndroidApp, ...] = ()
    apple_apps: tuple[str, ...] = ()
    app_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        locales = tuple(self.locales) or (self.locale,)
        object.__setattr__(self, "locales", locales)
        object.__setattr__(self, "locale", locales[0])
        for tag in locales:
            if not valid_tag(tag):
                raise ValueError(
                    f"site {self.code!r}: a locale is language-REGION such as fr-CA, got {tag!r}"
                )
        if len(set(locales)) != len(locales):
            raise ValueError(f"site {self.code!r}: locales listed twice in {locales!r}")
        if not _COLOUR.match(self.brand_color):
            raise ValueError(
                f"site {self.code!r}: brand_color is #rrggbb, got {self.brand_color!r}"
            )
        if self.logo_url and not _plain_url(self.logo_url):
            # Its origin goes into the email view's Content-Security-Policy as it is.
            raise ValueError(
                f"site {self.code!r}: logo_url is an http(s)://host/path URL without user "
                f"name, spaces, ';' or ',', got {self.logo_url!r}"
            )
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"site {self.code!r}: base_url must be http(s)://host, got {self.base_url!r}"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(
                f"site {self.code!r}: base_url must be an origin, got {self.base_url!r}"
            )
        for app in self.apple_apps:
            if not _APPLE_APP.match(app):
                raise ValueError(
                    f"site {self.code!r}: an Apple app is TEAMID.bundle.id (a 10-character "
                    f"team id), got {app!r}"
                )
        for origin in self.app_origins:
            if not _APP_ORIGIN.match(origin):
                raise ValueError(
                    f"site {self.code!r}: app_origins are android:apk-key-hash:<43 base64url "
                    f"characters>, got {origin!r}"
                )
        if not self.code.isalnum() or self.code != self.code.lower():
            raise ValueError(f"site code must be lower-case letters/digits, got {self.code!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"site {self.code!r}: timezone must be an IANA time zone name such as "
                f"America/New_York, got {self.timezone!r}"
            ) from None

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone (ZoneInfo keeps one instance per name)."""
        return ZoneInfo(self.timezone)

    @property
    def origin(self) -> str:
        """The configured origin, the only host our links and messages ever name."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def passkey_origins(self) -> tuple[str, ...]:
        """Where this site's passkey ceremonies may run: its own origin (Apple apps with
        associated domains say it too), then its Android apps'."""
        found = [self.origin]
        for app in self.android_apps:
            found.extend(app.origins)
        found.extend(self.app_origins)
        return tuple(dict.fromkeys(found))

    @property
    def host(self) -> str:
        """The Host header value (host[:port]) this site answers to."""
        return urlsplit(self.base_url).netloc.lower()

    @property
    def secure(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def url(self, path: str) -> str:
        """An absolute URL on this site's configured origin (never the request's Host)."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        return self.origin + path


def _plain_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and not any(ch in url for ch in " ;,\"'\\\t\r\n")
    )


class SiteDirectory:
    """Resolves a Host header to its site; unknown hosts resolve to nothing."""

    def __init__(self, sites: list[Site], aliases: dict[str, str] | None = None) -> None:
        if not sites:
            raise ValueError("at least one site must be configured")
        self.sites = tuple(sites)
        self._by_code = {s.code: s for s in sites}
        if len(self._by_code) != len(sites):
            raise ValueError("site codes must be unique")
        self._by_host = {s.host: s for s in sites}
        for host, code in (aliases or {}).items():
            if code not in self._by_code:
                raise ValueError(f"alias {host!r} names unknown site {code!r}")
            self._by_host[host.lower()] = self._by_code[code]

    def by_host(self, host: str) -> Site | None:
        """The site for an exact Host header, or None (the caller answers 400)."""
        return self._by_host.get(host.lower())

    def by_code(self, code: str) -> Site:
        return self._by_code[code]

    def others(self, site: Site) -> list[Site]:
        """Every site but this one, in configured order (for the wrong-site hint)."""
        return [s for s in self.sites if s.code != site.code]
