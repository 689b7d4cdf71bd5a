"""The Accounts pages of the trust role: find an account on one of the actor's sites, read
its file (masked contacts, status, the history of suspensions and warnings) and Suspend,
Send warning or Lift suspension, each a thin call into flows.trust.measures.

Every page answers 404 for a staff member without the trust role (require_role), and an
account outside the actor's sites answers like one that does not exist (the flow's
NotFound). The identifier is posted, never put in a URL (it would sit in logs and history);
each POST checks the console's CSRF token and redirects to the account's file with a notice
named by key (POST/redirect/GET).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.local_time import day_starts
from entryway.core.staff import Actor, Role
from entryway.core.suspension import SCOPE_LABELS, Measure, Scope, SuspensionState
from entryway.errors import Conflict, FlowExpired, Forbidden, InvalidInput, NotFound
from entryway.flows.ports import Deps
from entryway.flows.records import Suspension
from entryway.flows.staff import directory
from entryway.flows.support import queue
from entryway.flows.trust import measures
from entryway.web import formatting
from entryway.web.console.render import (
    actor_page,
    console_form,
    console_of,
    console_page,
    redirect,
    require_role,
    text,
    who,
)

router = APIRouter(prefix="/accounts", include_in_schema=False)
DONE = {
    "suspended": "Account suspended. Its sessions have ended and the customer is emailed "
    "the statement of reasons.",
    "warned": "Warning sent. The customer is emailed the statement of reasons.",
    "lifted": "Suspension lifted. The customer is told they can sign in again.",
}
# The fields of each form, as the flows name them; anything else is said above the forms.
FORM_FIELDS = {
    "suspend": ("reason", "facts", "scope", "until"),
    "warn": ("reason", "facts"),
    "lift": ("reason",),
}
STATE_LABELS = {SuspensionState.IN_FORCE: "In force", SuspensionState.LIFTED: "Lifted"}
MEASURE_LABELS = {Measure.SUSPENSION: "Suspension", Measure.WARNING: "Warning"}


@dataclass(frozen=True, slots=True)
class Row:
    """One measure of the history, as the page says it."""

    measure: Suspension
    label: str
    title: str
    terms_section: str
    scope_label: str
    state_label: str
    acted_by: str
    lifted_by: str


def _by(value: str | None, emails: dict[str, str], actor: Actor) -> str:
    """Who acted: a colleague's email, the operator's command line or an API token."""
    if not value:
        return ""
    if value == "cli":
        return "the operator (command line)"
    if value.startswith("token:"):
        return "the admin API (a staff token)"
    if value == actor.staff_id:
        return "you"
    return emails.get(value, "a former colleague")


def _state_label(measure: Suspension, now: datetime) -> str:
    """In force, Lifted, or Ended: a dated suspension stops applying without a new state."""
    in_force = measure.state is SuspensionState.IN_FORCE
    if in_force and measure.until is not None and measure.until <= now:
        return "Ended (its end date passed)"
    return STATE_LABELS.get(measure.state, measure.state.value)


async def _rows(deps: Deps, actor: Actor, items: tuple[Suspension, ...]) -> list[Row]:
    emails = await directory.emails_of(
        deps, [m.acted_by for m in items] + [m.lifted_by for m in items]
    )
    now = deps.clock.now()
    rows = []
    for m in items:
        reason = deps.suspension_reasons.get(m.reason_code)
        rows.append(
            Row(
                measure=m,
                label=MEASURE_LABELS.get(m.measure, m.measure.value),
                title=reason.title if reason else m.reason_code,
                terms_section=reason.terms_section if reason else "",
                scope_label=SCOPE_LABELS.get(m.scope, m.scope.value),
                state_label=_state_label(m, now),
                acted_by=_by(m.acted_by, emails, actor),
                lifted_by=_by(m.lifted_by, emails, actor),
            )
        )
    return rows


def _sites(deps: Deps, actor: Actor) -> list[tuple[str, str]]:
    return [(code, deps.site(code).name) for code in queue.scope(deps, actor)]


def _ctx(deps: Deps) -> dict[str, Any]:
    return {
        "when": lambda value, site: formatting.when(value, deps.site(site)),
        "reasons": deps.suspension_reasons.reasons,
        "scopes": [(s.value, SCOPE_LABELS[s]) for s in Scope],
        "site_names": {s.code: s.name for s in deps.sites.sites},
    }


@router.get("")
async def find_page(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    """The find form: a site of the actor's and an email or mobile phone number."""
    require_role(actor, Role.TRUST)
    deps = console_of(request).deps
    return console_page(
        request, "accounts.html", sites=_sites(deps, actor), errors={}, typed={}, **_ctx(deps)
    )


@router.post("/find")
async def find(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    """Look the account up (the flow audits the look-up) and open its file."""
    require_role(actor, Role.TRUST)
    form = await console_form(request)
    deps = console_of(request).deps
    site, identifier = text(form, "site"), text(form, "identifier")
    try:
        found = await measures.find_account(deps, actor, site, identifier, who(request))
    except (InvalidInput, NotFound) as exc:
        key = "site" if exc.field == "site" else "identifier"
        return console_page(
            request,
            "accounts.html",
            status=exc.status,
            sites=_sites(deps, actor),
            errors={key: exc.message},
            typed={"site": site, "identifier": identifier},
            **_ctx(deps),
        )
    return redirect(f"/accounts/{found.site}/{found.account_id}")


async def _account_page(
    request: Request,
    actor: Actor,
    site: str,
    account_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    problem: str = "",
    done: str = "",
) -> Response:
    deps = console_of(request).deps
    file = await measures.account_file(deps, actor, site, account_id)  # NotFound: 404
    rows = await _rows(deps, actor, file.measures)
    now = deps.clock.now()
    current = next(
        (
            r.measure
            for r in rows
            if r.measure.measure is Measure.SUSPENSION
            and r.measure.state is SuspensionState.IN_FORCE
            and (r.measure.until is None or now < r.measure.until)
        ),
        None,
    )
    return console_page(
        request,
        "account.html",
        status=status,
        file=file,
        rows=rows,
        current=current,
        errors=errors or {},
        typed=typed or {},
        problem=problem,
        done=done,
        **_ctx(deps),
    )


@router.get("/{site}/{account_id}")
async def account_page(
    request: Request, site: str, account_id: str, actor: Actor = Depends(actor_page)
) -> Response:
    """The account's file with its measures and the forms that add or lift one."""
    require_role(actor, Role.TRUST)
    done = DONE.get(request.query_params.get("done", ""), "")
    return await _account_page(request, actor, site, account_id, done=done)


def until_of(form: FormData, site: str, deps: Deps) -> datetime | None:
    """The Until date (the start of that day on the site's clock) or None for Indefinite;
    exactly one of the two must be given."""
    raw = text(form, "until").strip()
    indefinite = text(form, "indefinite") == "1"
    if indefinite and raw:
        raise InvalidInput("Give an end date or tick Indefinite, not both.", field="until")
    if indefinite:
        return None
    if not raw:
        raise InvalidInput("Give an end date, or tick Indefinite.", field="until")
    try:
        return day_starts(raw, deps.site(site))
    except ValueError:
        raise InvalidInput("Write the end date as YYYY-MM-DD.", field="until") from None


@router.post("/{site}/{account_id}/{action}")
async def account_action(
    request: Request, site: str, account_id: str, action: str, actor: Actor = Depends(actor_page)
) -> Response:
    """Suspend, Send warning or Lift suspension; the flow checks, audits and tells."""
    require_role(actor, Role.TRUST)
    if action not in FORM_FIELDS:
        return console_page(
            request, "error.html", status=404, message="We couldn't find that page."
        )
    form = await console_form(request)
    deps = console_of(request).deps
    typed = {f"{action}.{name}": text(form, name) for name in (*FORM_FIELDS[action], "indefinite")}
    typed[f"{action}.automated"] = text(form, "automated")
    # The file first, as its page would: another site's account answers 404 here too.
    await measures.account_file(deps, actor, site, account_id)
    try:
        if action == "suspend":
            await measures.suspend(
                deps,
                actor,
                site=site,
                account_id=account_id,
                reason=text(form, "reason"),
                facts=text(form, "facts"),
                until=until_of(form, site, deps),
                automated=text(form, "automated") == "1",
                scope=text(form, "scope") or Scope.ACCOUNT.value,
                who=who(request),
            )
            done = "suspended"
        elif action == "warn":
            await measures.warn(
                deps,
                actor,
                site=site,
                account_id=account_id,
                reason=text(form, "reason"),
                facts=text(form, "facts"),
                automated=text(form, "automated") == "1",
                who=who(request),
            )
            done = "warned"
        else:
            await measures.lift(
                deps,
                actor,
                site=site,
                suspension_id=text(form, "suspension"),
                reason=text(form, "reason"),
                who=who(request),
                account_id=account_id,
            )
            done = "lifted"
    except InvalidInput as exc:
        if exc.field not in FORM_FIELDS[action]:
            return await _account_page(
                request, actor, site, account_id, status=exc.status, problem=exc.message
            )
        return await _account_page(
            request,
            actor,
            site,
            account_id,
            status=exc.status,
            errors={f"{action}.{exc.field}": exc.message},
            typed=typed,
        )
    except (Conflict, Forbidden, FlowExpired, NotFound) as exc:
        return await _account_page(
            request, actor, site, account_id, status=exc.status, problem=exc.message, typed=typed
        )
    return redirect(f"/accounts/{site}/{account_id}?done={done}")
