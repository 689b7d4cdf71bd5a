"""A short, human name for a device from its User-Agent ("Chrome on Windows")."""

from __future__ import annotations

from collections.abc import Callable

from entryway.core.locales import N_

# Order matters: several browsers also name the engines they build on.
_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chromium", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx", N_("Python app")),
    ("okhttp", N_("Android app")),
]
_SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Macintosh", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


UNKNOWN = N_("Unknown device")
ON = N_("%(browser)s on %(system)s")


def _same(text: str) -> str:
    return text


def describe_user_agent(user_agent: str, gettext: Callable[[str], str] = _same) -> str:
    """ "Firefox on Mac", "Chrome on Android", or "Unknown device" when nothing is recognised;
    in the reader's language with their catalog's ``gettext`` (product names stay as they are)."""
    browser = next((gettext(name) for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return gettext(ON) % {"browser": browser, "system": system}
    return browser or system or gettext(UNKNOWN)
