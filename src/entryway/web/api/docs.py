"""The API reference at ``/api/docs``: Swagger UI served from the installed package, so it
loads offline and under the site's Content-Security-Policy (no CDN, no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from entryway.web.render import web_of
from entryway.web.security import site_of

DOCS_URL = "/api/docs"
# Only the two files the page loads; the package's own index page and its inline-script
# initializer are never served.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
SWAGGER_UI = Path(str(swagger_ui_path))

router = APIRouter(include_in_schema=False)


@router.get(DOCS_URL)
async def api_docs(request: Request) -> HTMLResponse:
    """The reference page: our own HTML, our own start-up script, the package's assets."""
    html = (
        web_of(request)
        .templates.env("en-US")  # the API reference is for developers, in English
        .get_template("api_docs.html")
        .render(
            site=site_of(request),
            title=request.app.title,
            openapi_url=request.app.openapi_url,
            assets=DOCS_URL,
        )
    )
    return HTMLResponse(html, headers={"cache-control": "no-cache"})


@router.get(DOCS_URL + "/{name}")
async def api_docs_asset(name: str) -> Response:
    """One of Swagger UI's files, revalidated by ETag so an upgrade is seen at once."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404)
    return FileResponse(
        SWAGGER_UI / name, media_type=media_type, headers={"cache-control": "no-cache"}
    )
