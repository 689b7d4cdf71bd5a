"""An email's HTML part shown as its reader sees it, with nothing of it able to act.

The stored HTML was written by our templates, which escape every value a customer or an
agent wrote; it is still served as if it were hostile: a policy of its own allows no
script, no request but the brand's logo, no form and no base, and sandboxes the document
(an opaque origin, so it can read no cookie of the site even if opened on its own). The
page around it frames it with ``<iframe sandbox>`` too."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from entryway.core.sites import Site


def logo_origin(site: Site) -> str:
    """The origin of the brand's logo, the one remote image an email may show."""
    if not site.logo_url:
        return ""
    parts = urlsplit(site.logo_url)
    return f"{parts.scheme}://{parts.netloc}"


def email_policy(site: Site) -> str:
    """The Content-Security-Policy of an email's HTML part."""
    images = " ".join(filter(None, [logo_origin(site), "data:"]))
    return (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
    )


def email_html_response(site: Site, html: str) -> Response:
    """The stored HTML part, under its own policy (the site-wide headers leave a header the
    response set alone, so this policy is the only one that applies)."""
    response = Response(html, media_type="text/html; charset=utf-8")
    response.headers["content-security-policy"] = email_policy(site)
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["x-frame-options"] = "SAMEORIGIN"  # framed by our own page only
    response.headers["cache-control"] = "no-store"
    response.headers["cross-origin-resource-policy"] = "same-origin"
    return response
