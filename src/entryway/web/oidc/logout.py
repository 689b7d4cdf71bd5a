"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an app sends the customer
here to sign out of this site. With a valid ``id_token_hint`` of the signed-in account the
session ends at once; otherwise the customer confirms. The customer is sent on only to a
``post_logout_redirect_uri`` registered for that app, with ``state``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.common.urls import add_params_to_uri
from fastapi import APIRouter
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from entryway.core.events import AuditAction
from entryway.core.locales import N_
from entryway.flows.account import account as account_flow
from entryway.flows.apps import keys
from entryway.flows.apps.records import App
from entryway.flows.common import audit
from entryway.flows.subjects import public_subject
from entryway.web.i18n import gettext_for
from entryway.web.render import SESSION, form_of, me_or_none, page, web_of, who
from entryway.web.security import clear_cookie, cookie_name, site_of

router = APIRouter(include_in_schema=False)
NOT_REGISTERED = N_("That app can't send you back to the address it gave.")
WRONG_HINT = N_("That sign-out request came from a different app than the one it names.")
KEPT = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


async def hinted(request: Request, hint: str) -> dict[str, Any] | None:
    """The claims of an ID token we issued on this site (expired ones too: a hint may be
    old), or None."""
    if not hint or len(hint) > 8192:
        return None
    deps = web_of(request).deps
    try:
        key_set = KeySet.import_key_set(await keys.jwks(deps))  # type: ignore[arg-type]
        token = jwt.decode(hint, key_set, algorithms=["RS256", "ES256"])
    except (JoseError, ValueError, TypeError):
        return None
    claims = dict(token.claims)
    return claims if claims.get("iss") == site_of(request).origin else None


@router.api_route("/oauth/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    deps = web_of(request).deps
    site = site_of(request)
    if request.method == "POST":
        raw = await request.form()
        if "confirm" not in raw:
            # An app's own POST (the spec allows both methods): the same request as a GET,
            # a top-level navigation that carries the customer's session cookie.
            asked = [(k, v) for k, v in raw.multi_items() if k in KEPT and isinstance(v, str)]
            return RedirectResponse("/oauth/logout?" + urlencode(asked), status_code=303)
        form = await form_of(request)  # our confirmation's form (CSRF checked)
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        confirmed = dict(pairs).get("confirm") == "yes"
    else:
        pairs = parse_qsl(request.url.query, keep_blank_values=True)
        confirmed = False
    values = {k: v for k, v in pairs if k in KEPT}
    claims = await hinted(request, values.get("id_token_hint", ""))
    if claims is not None and values.get("client_id") and not _for(claims, values["client_id"]):
        # RP-Initiated Logout 1.0 §2: the hint must be one issued to the app that sends it.
        return page(request, "error.html", status=400, message=gettext_for(request)(WRONG_HINT))
    client_id = values.get("client_id") or (str(claims.get("aud", "")) if claims else "")
    app: App | None = None
    if 0 < len(client_id) <= 100:
        async with deps.uow() as uow:
            app = await uow.apps.get_app(site.code, client_id)
    back = values.get("post_logout_redirect_uri", "")
    if back and (app is None or back not in app.post_logout_redirect_uris):
        return page(request, "error.html", status=400, message=gettext_for(request)(NOT_REGISTERED))
    me = await me_or_none(request)
    own_hint = (
        me is not None
        and claims is not None
        and app is not None
        and claims.get("sub") == public_subject(deps.keys, site.code, me.account.id)
    )
    if me is not None and not (own_hint or confirmed):
        return page(
            request,
            "app_sign_out.html",
            app_name=app.name if app else "",
            kept=[(k, v) for k, v in values.items()],
            form_target=_origin(back),
        )
    if me is not None:
        await account_flow.sign_out(
            deps, site.code, request.cookies.get(cookie_name(site, SESSION)), who(request)
        )
        if app is not None:
            async with deps.uow() as uow:
                await audit(
                    deps, uow, site.code, me.account.id, AuditAction.APP_SIGNED_OUT,
                    who(request), app=app.id,
                )  # fmt: skip
                await uow.commit()
    if back:
        state = values.get("state")
        target = add_params_to_uri(back, [("state", state)]) if state else back
    else:
        target = "/signin?signed_out=app"
    response = RedirectResponse(target, status_code=303)
    clear_cookie(response, site, SESSION)
    return response


def _for(claims: dict[str, Any], client_id: str) -> bool:
    aud = claims.get("aud")
    return aud == client_id or (isinstance(aud, list) and client_id in aud)


def _origin(uri: str) -> str:
    """The CSP source for a registered post-logout URI ("" when none was given)."""
    parts = urlsplit(uri)
    if not parts.scheme:
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else parts.scheme + ":"
