"""Back-channel logout tokens POSTed to the apps (OpenID Connect Back-Channel Logout 1.0
§2.5): a form with ``logout_token``; any 2xx is delivered, anything else is retried by the
outbox. Redirects are not followed: the registered URI is the only one we post to."""

from __future__ import annotations

import httpx

TIMEOUT_SECONDS = 5.0


class HttpLogoutPoster:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post_logout(self, uri: str, token: str) -> None:
        response = await self.client.post(
            uri,
            data={"logout_token": token},
            headers={"cache-control": "no-cache"},
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
        )
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"the app answered {response.status_code}")
