"""The authorization endpoint and the consent page: sign-in stays ours.

A customer who is not signed in (or must sign in again: ``prompt=login``, ``max_age``) is
sent to our own sign-in pages, second step, lock and unusual-sign-in code included, with the
request sealed in ``return_to`` (web/oidc/ticket.py), and comes back here. Every redirect to
the app carries ``iss`` (RFC 9207), errors included; a request whose client or redirect URI
is not registered gets an error page and never a redirect (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from entryway.core.apps import Scope
from entryway.core.locales import N_
from entryway.flows.account.account import Current
from entryway.flows.apps import grants
from entryway.flows.apps.records import App
from entryway.web.i18n import gettext_for
from entryway.web.oidc import ticket
from entryway.web.oidc.endpoints import form_pairs, provider
from entryway.web.oidc.protocol import Client, Exchange
from entryway.web.oidc.protocol import Request as OAuthRequest
from entryway.web.render import form_of, me_or_none, page, text, web_of, who
from entryway.web.security import site_of

router = APIRouter(include_in_schema=False)

# What the consent page says each scope lets the app do ("Allow <app> to …").
SCOPE_WORDS: dict[str, str] = {
    Scope.OPENID: N_("know who you are on this site"),
    Scope.PROFILE: N_("see your name"),
    Scope.EMAIL: N_("see your email address"),
    Scope.PHONE: N_("see your mobile phone number"),
    Scope.OFFLINE_ACCESS: N_("keep access when you're not using it"),
}
UNSUPPORTED = {
    "request": "request_not_supported",
    "request_uri": "request_uri_not_supported",
    "registration": "registration_not_supported",
}
BAD_REQUEST = N_("This sign-in request from an app isn't valid: {why}")
UNKNOWN_APP = N_("the app isn't known on this site.")
UNKNOWN_RETURN = N_("the address it wants to return to isn't registered for it.")
EXPIRED = N_("the page has expired. Go back to the app and try again.")


class _Ask:
    """One authorization request, validated: what the answer needs."""

    def __init__(
        self, exchange: Exchange, oauth: OAuthRequest, grant: Any, pairs: list[tuple[str, str]]
    ) -> None:
        self.exchange = exchange
        self.oauth = oauth
        self.grant = grant
        self.pairs = pairs

    @property
    def app(self) -> App:
        assert self.exchange.app is not None
        return self.exchange.app

    @property
    def scopes(self) -> list[str]:
        return str(self.oauth.scope or "").split()


@router.api_route("/oauth/authorize", methods=["GET", "POST"])
async def authorize(request: Request) -> Response:
    """Core §3.1.2: code flow only, PKCE S256 required, state and nonce carried."""
    if request.method == "POST":
        pairs = await form_pairs(request) or []
    else:
        pairs = parse_qsl(request.url.query, keep_blank_values=True)
    return await _answer(request, pairs)


@router.post("/oauth/authorize/consent")
async def consent(request: Request) -> Response:
    """**Allow** or **Cancel** on the consent page: remembered, then back to the app."""
    form = await form_of(request)
    pairs = parse_qsl(text(form, "request"), keep_blank_values=True)
    deps = web_of(request).deps
    if ticket.issued_at(deps.keys, site_of(request).code, pairs, deps.clock.now()) is None:
        return _bad(request, gettext_for(request)(EXPIRED))
    return await _answer(request, pairs, decision=text(form, "decision") or "cancel")


async def _answer(
    request: Request, pairs: list[tuple[str, str]], decision: str | None = None
) -> Response:
    deps = web_of(request).deps
    site = site_of(request)
    exchange = Exchange(deps)
    client_id = next((v for k, v in pairs if k == "client_id"), "")
    if 0 < len(client_id) <= 100:
        async with deps.uow() as uow:
            exchange.app = await uow.apps.get_app(site.code, client_id)
    me = await me_or_none(request)
    exchange.user = me.account if me is not None and _fresh(request, me, pairs) else None
    server = provider(request)
    oauth = OAuthRequest(request.method, str(request.url), ticket.without_ticket(pairs), {})
    try:
        grant = server.run(
            exchange, server.get_consent_grant, request=oauth, end_user=exchange.user
        )
    except OAuth2Error as error:
        return _error(request, exchange, oauth, error)
    ask = _Ask(exchange, oauth, grant, pairs)
    for name, refusal in UNSUPPORTED.items():  # Core §6: say so rather than ignore them
        if any(k == name for k, _ in pairs):
            return _error_code(request, ask, refusal, f"The {name} parameter is not supported.")
    if exchange.user is None or me is None:
        return _to_sign_in(request, pairs)
    needs = grant.prompt == "consent" or await grants.needs_consent(
        deps, ask.app, me.account.id, ask.scopes
    )
    if ask.app.first_party:
        needs = False
    if needs and decision is None:
        if "none" in _prompts(pairs):
            return _error_code(
                request, ask, "consent_required", "The customer must allow this app."
            )
        return _consent_page(request, ask, pairs)
    if decision is not None and decision != "allow":
        return _error_code(request, ask, "access_denied", "The customer cancelled.")
    if decision == "allow":
        await grants.allow(deps, ask.app, me.account.id, ask.scopes, who(request))
    status, _, headers = server.run(
        exchange, server.create_authorization_response, request=oauth, grant_user=me.account,
        grant=grant,
    )  # fmt: skip
    if exchange.issued_code is None:
        return _redirect_with_iss(request, dict(headers)["Location"], status)
    await grants.issue_code(
        deps,
        code=exchange.issued_code,
        app=ask.app,
        session=me.session,
        scopes=ask.scopes,
        redirect_uri=grant.redirect_uri,
        nonce=next((v for k, v in pairs if k == "nonce"), ""),
        code_challenge=next((v for k, v in pairs if k == "code_challenge"), ""),
        who=who(request),
    )
    return _redirect_with_iss(request, dict(headers)["Location"], status)


def _prompts(pairs: list[tuple[str, str]]) -> list[str]:
    return next((v for k, v in pairs if k == "prompt"), "").split()


def _fresh(request: Request, me: Current, pairs: list[tuple[str, str]]) -> bool:
    """Whether this session's sign-in is recent enough for the request: after its sealed
    ticket when ``prompt=login`` (a sign-in made for this very request), within
    ``max_age`` seconds otherwise (or after the ticket, which a sign-in for it passes)."""
    deps = web_of(request).deps
    now = deps.clock.now()
    signed_in = me.session.auth_at or me.session.created_at
    made = ticket.issued_at(deps.keys, site_of(request).code, pairs, now)
    after_ticket = made is not None and signed_in > made  # a sign-in made for it
    if "login" in _prompts(pairs) and not after_ticket:
        return False
    max_age = next((v for k, v in pairs if k == "max_age"), "")
    if max_age.isdigit() and len(max_age) < 10:
        within = (now - signed_in).total_seconds() <= int(max_age)
        return within or after_ticket
    return True


def wants_new_sign_in(request: Request, me: Current, return_to: str) -> bool:
    """For the sign-in page: a signed-in customer coming from an authorization request
    that needs a fresh sign-in sees the form instead of being sent straight back."""
    deps = web_of(request).deps
    found = ticket.from_return_to(deps.keys, site_of(request).code, return_to, deps.clock.now())
    return found is not None and not _fresh(request, me, found[0])


def _to_sign_in(request: Request, pairs: list[tuple[str, str]]) -> Response:
    deps = web_of(request).deps
    back = ticket.sealed(deps.keys, site_of(request).code, pairs, deps.clock.now())
    query = [("return_to", back)]
    hint = next((v for k, v in pairs if k == "login_hint"), "")
    if hint and len(hint) <= 320:
        query.append(("login_hint", hint))
    return RedirectResponse("/signin?" + urlencode(query), status_code=303)


def _consent_page(request: Request, ask: _Ask, pairs: list[tuple[str, str]]) -> Response:
    deps = web_of(request).deps
    sealed = ticket.sealed(deps.keys, site_of(request).code, pairs, deps.clock.now())
    target = ticket.redirect_origin(deps.keys, site_of(request).code, sealed, deps.clock.now())
    return page(
        request,
        "consent.html",
        app_name=ask.app.name,
        asks=[SCOPE_WORDS[s] for s in ask.scopes if s in SCOPE_WORDS],
        sealed=sealed.partition("?")[2],
        form_target=target or "",
    )


def _redirectable(exchange: Exchange, oauth: OAuthRequest) -> str | None:
    """The redirect URI errors may go to: only a registered one of a known app."""
    app = exchange.app
    uri = oauth.payload.redirect_uri
    if app is None or not uri or not Client(app).check_redirect_uri(uri):
        return None
    return str(uri)


def _error(
    request: Request, exchange: Exchange, oauth: OAuthRequest, error: OAuth2Error
) -> Response:
    target = _redirectable(exchange, oauth)
    if target is None or error.error == "invalid_client":
        # Our words, not the request's: nothing it carried is shown back.
        gettext = gettext_for(request)
        why = UNKNOWN_APP if exchange.app is None else UNKNOWN_RETURN
        return _bad(request, gettext(why))
    params = [("error", error.error)]
    if error.description:
        params.append(("error_description", error.description))
    state = oauth.payload.state
    if state:
        params.append(("state", state))
    return _redirect_with_iss(request, add_params_to_uri(target, params), 302)


def _error_code(request: Request, ask: _Ask, code: str, description: str) -> Response:
    params = [("error", code), ("error_description", description)]
    if ask.oauth.payload.state:
        params.append(("state", ask.oauth.payload.state))
    return _redirect_with_iss(request, add_params_to_uri(ask.grant.redirect_uri, params), 302)


def _redirect_with_iss(request: Request, location: str, status: int) -> Response:
    with_iss = add_params_to_uri(location, [("iss", site_of(request).origin)])
    response = RedirectResponse(with_iss, status_code=302 if status < 300 else status)
    response.headers["cache-control"] = "no-store"
    return response


def _bad(request: Request, why: str) -> Response:
    gettext = gettext_for(request)
    return page(request, "error.html", status=400, message=gettext(BAD_REQUEST).format(why=why))
