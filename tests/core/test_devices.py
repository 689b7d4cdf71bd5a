"""Device names shown in the signed-in devices list."""

from __future__ import annotations

import pytest

from entryway.core.devices import describe_user_agent


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/156.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:120.0) Gecko/20100101 Firefox/120.0",
            "Firefox on Mac",
        ),
        ("python-httpx/0.28.1", "Python app"),
        ("", "Unknown device"),
    ],
)
def test_user_agents_become_short_names(ua: str, name: str) -> None:
    assert describe_user_agent(ua) == name
