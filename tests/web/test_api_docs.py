"""``/api/docs`` is served whole from our own origin: no CDN, no inline script, the site's
own Content-Security-Policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

from entryway.web.security import SECURITY_HEADERS

CSP = dict(SECURITY_HEADERS)[b"content-security-policy"].decode()


class _Refs(HTMLParser):
    """Every address the page makes the browser load, and the text of any inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._in_script = not found.get("src")
            if found.get("src"):
                self.loads.append(found["src"] or "")
        elif tag == "link" and found.get("href"):
            self.loads.append(found["href"] or "")
        elif tag in ("img", "iframe") and found.get("src"):
            self.loads.append(found["src"] or "")
        for name, value in attrs:
            assert not name.startswith("on"), f"inline event handler {name}={value!r}"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


async def test_docs_page_and_its_assets_come_from_our_origin(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    # The same policy as every other page: nothing was relaxed for Swagger UI.
    assert r.headers["content-security-policy"] == CSP
    assert not re.search(r"(?i)(https?:)?//[a-z0-9]", r.text), "the page names another host"

    refs = _Refs()
    refs.feed(r.text)
    assert refs.inline_scripts == []
    assert sorted(refs.loads) == [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
        "/static/api-docs.js",
    ]
    kinds = {}
    for address in refs.loads:
        asset = await client.get(address)
        assert asset.status_code == 200, address
        assert asset.headers["content-security-policy"] == CSP
        kinds[address] = asset.headers["content-type"].split(";")[0]
    assert kinds == {
        "/api/docs/swagger-ui-bundle.js": "text/javascript",
        "/api/docs/swagger-ui.css": "text/css",
        "/static/api-docs.js": "text/javascript",
    }

    start = (await client.get("/static/api-docs.js")).text
    assert "SwaggerUIBundle" in start and "validatorUrl: null" in start
    assert 'data-openapi-url="/openapi.json"' in r.text


async def test_docs_serve_only_the_two_swagger_files(client: httpx.AsyncClient) -> None:
    for path in (
        "/api/docs/index.html",  # the package's own page, with its inline script
        "/api/docs/swagger-initializer.js",  # points at the petstore example
        "/api/docs/..%2F..%2F__init__.py",
        "/api/docs/swagger-ui.js.map",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"


async def test_docs_are_not_operations_of_the_api(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith("/api/docs")]
