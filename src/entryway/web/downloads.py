"""Download your data as a file: the same JSON for the page's button and the API."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def data_file(document: dict[str, Any]) -> Response:
    """The export as an attachment named by site and day, never cached anywhere."""
    day = str(document["exported_at"])[:10]
    name = f"account-data-{document['site']['code']}-{day}.json"
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return Response(
        body.encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
