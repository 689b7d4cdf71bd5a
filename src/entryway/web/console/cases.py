"""The Cases queue and the case page: thin callers of flows.support.queue.

Every page answers 404 for a staff member whose roles see no cases (require_role), and a
case outside the actor's sites or topics answers exactly like an id that does not exist
(the flow's NotFound, SECURITY.md 33). Each POST checks the console's CSRF token and
redirects back to the case with a short notice (POST/redirect/GET).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.cases import TOPIC_LABELS, CaseState, Topic, visible_topics
from entryway.core.staff import Actor, Role
from entryway.errors import AgentQuotaReached, Conflict, FlowExpired, Forbidden, InvalidInput
from entryway.flows.ports import Deps
from entryway.flows.staff import directory
from entryway.flows.support import queue
from entryway.web import formatting
from entryway.web.console import appeals, review, tools
from entryway.web.console.render import (
    actor_page,
    clear_cookie,
    console_form,
    console_of,
    console_page,
    cookie,
    redirect,
    require_role,
    set_cookie,
    text,
    who,
)

router = APIRouter(prefix="/cases", include_in_schema=False)
CASE_ROLES = (Role.AGENT, Role.REVIEWER, Role.TRUST)
STATE_LABELS: dict[CaseState, str] = {
    CaseState.NEW: "New",
    CaseState.OPEN: "Open",
    CaseState.PENDING_CUSTOMER: "Pending customer",
    CaseState.ON_HOLD: "On hold",
    CaseState.SOLVED: "Solved",
    CaseState.CLOSED: "Closed",
}
# The notices a redirect back to the case names by key (?done=...), never free text.
DONE = {
    "replied": "Reply sent to the customer.",
    "noted": "Internal note added. It is not sent to the customer.",
    "assigned": "Case assigned to you.",
    "unassigned": "Case unassigned.",
    "state": "State changed.",
}
# The flows name their fields for the API; each maps to the one control on this page.
FIELDS = {"reply": {"body": "reply"}, "note": {"body": "note"}, "state": {}, "assign": {}}
NOTICE = "ew_staff_notice"  # a tool's answer, carried across its redirect and shown once
NOTICE_SECONDS = 60  # long enough for the redirect; a notice older than this is dropped


def flash(request: Request, response: Response, notice: str) -> None:
    """Keep a tool's answer for the redirect back to the case it was used on (the POST's
    own case id), so no other case shows it, and only briefly (base64 JSON: cookie values
    are ASCII)."""
    at = int(console_of(request).deps.clock.now().timestamp())
    payload = json.dumps([request.path_params.get("case_id", ""), at, notice])
    value = base64.urlsafe_b64encode(payload.encode()).decode()
    set_cookie(request, response, NOTICE, value, max_age=NOTICE_SECONDS)


def flashed(request: Request, case_id: str) -> str:
    """The kept notice if it is this case's and still fresh, else nothing."""
    raw = cookie(request, NOTICE) or ""
    try:
        kept, at, notice = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return ""
    now = console_of(request).deps.clock.now().timestamp()
    if kept != case_id or not isinstance(at, int) or not 0 <= now - at <= NOTICE_SECONDS:
        return ""
    return str(notice)[:500]


def when_for(deps: Deps) -> Callable[[datetime, str], str]:
    """Times written in the case's own site's zone, as its customer reads them."""
    return lambda value, site: formatting.when(value, deps.site(site))


async def _page_ctx(request: Request, actor: Actor, staff_ids: list[str | None]) -> dict[str, Any]:
    deps = console_of(request).deps
    emails = await directory.emails_of(deps, staff_ids)

    def who_is(staff_id: str | None) -> str:
        if staff_id is None:
            return "nobody"
        return "you" if staff_id == actor.staff_id else emails.get(staff_id, "a former colleague")

    def named(body: str) -> str:
        """System entries record staff ids ("Assigned to <id>."): say who instead."""
        for staff_id in emails:
            body = body.replace(staff_id, "you" if staff_id == actor.staff_id else emails[staff_id])
        return body

    return {
        "who_is": who_is,
        "named": named,
        "when": when_for(deps),
        "now": deps.clock.now(),
        "state_labels": STATE_LABELS,
        "site_names": {s.code: s.name for s in deps.sites.sites},
    }


@router.get("")
async def case_queue(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    """The queue with its filters, or search results for ``?q=``."""
    require_role(actor, *CASE_ROLES)
    deps = console_of(request).deps
    params = request.query_params
    chosen = {
        "state": params.get("state", ""),
        "topic": params.get("topic", ""),
        "site": params.get("site", ""),
        "mine": params.get("mine", "") == "1",
        "q": params.get("q", "").strip(),
    }
    errors: dict[str, str] = {}
    rows: list[queue.QueueItem] = []
    try:
        if chosen["q"]:
            rows = await queue.search(deps, actor, str(chosen["q"]))
        else:
            rows = await queue.queue(
                deps,
                actor,
                state=str(chosen["state"]) or None,
                topic=str(chosen["topic"]) or None,
                site=str(chosen["site"]) or None,
                mine=bool(chosen["mine"]),
            )
    except InvalidInput as exc:
        errors[{"query": "q"}.get(exc.field or "", exc.field or "q")] = exc.message
    seen = visible_topics(actor)
    return console_page(
        request,
        "cases.html",
        status=422 if errors else 200,
        rows=rows,
        chosen=chosen,
        errors=errors,
        states=list(CaseState),
        topics=[(t.value, TOPIC_LABELS[t]) for t in Topic if t in seen],
        sites=queue.scope(deps, actor),
        searching=bool(chosen["q"]),
        **await _page_ctx(request, actor, [r.assigned_to for r in rows]),
    )


async def _case_page(
    request: Request,
    actor: Actor,
    case_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    problem: str = "",
    done: str = "",
    revealed: dict[int, str] | None = None,
) -> Response:
    deps = console_of(request).deps
    case = await queue.open_case(deps, actor, case_id)  # NotFound: the same 404 as no case
    panel = await tools.panel(deps, actor, case, revealed)
    recovery = await review.panel(deps, actor, case)
    appeal = await appeals.panel(deps, actor, case)
    deciders = [a.decided_by for a in ((appeal.appeal, *appeal.earlier) if appeal else ())]
    typed = dict(typed or {})
    canned_key = request.query_params.get("canned", "")
    if "reply" not in typed:
        typed["reply"] = next((body for key, _, body in case.canned if key == canned_key), "")
    return console_page(
        request,
        "case.html",
        status=status,
        c=case,
        item=case.case,
        errors=errors or {},
        typed=typed,
        canned_key=canned_key,
        problem=problem,
        done=done,
        mine=case.case.assigned_to == actor.staff_id,
        tools=panel,
        review=recovery,
        appeal=appeal,
        appeal_labels=appeals.APPEAL_LABELS,
        **await _page_ctx(
            request,
            actor,
            [
                case.case.assigned_to,
                *(e.staff_id for e in case.entries),
                recovery.decided_by if recovery else None,
                *deciders,
            ],
        ),
    )


@router.get("/{case_id}")
async def case_page(request: Request, case_id: str, actor: Actor = Depends(actor_page)) -> Response:
    """The case: header, thread, and the forms that work on it."""
    require_role(actor, *CASE_ROLES)
    done = DONE.get(request.query_params.get("done", ""), "") or flashed(request, case_id)
    page = await _case_page(request, actor, case_id, done=done)
    if cookie(request, NOTICE):
        clear_cookie(request, page, NOTICE)
    return page


@router.post("/{case_id}/tools/{tool}")
async def case_tool(
    request: Request, case_id: str, tool: str, actor: Actor = Depends(actor_page)
) -> Response:
    """One agent tool; its Reason goes to the flow, which audits and tells the customer."""
    require_role(actor, Role.AGENT)
    if tool not in tools.TOOLS:
        return console_page(
            request, "error.html", status=404, message="We couldn't find that page."
        )
    form = await console_form(request)
    deps = console_of(request).deps
    try:
        outcome = await tools.run(deps, actor, case_id, tool, form, who(request))
    except InvalidInput as exc:
        key = tools.error_key(tool, form, exc.field)
        return await _case_page(
            request, actor, case_id, status=exc.status, errors={key: exc.message}
        )
    except AgentQuotaReached as exc:  # said beside the tool, on the case, for staff
        key = tools.error_key(tool, form, None)
        return await _case_page(
            request, actor, case_id, status=exc.status, errors={key: exc.message}
        )
    except (Forbidden, Conflict, FlowExpired) as exc:
        return await _case_page(request, actor, case_id, status=exc.status, problem=exc.message)
    if outcome.revealed:
        # The full contact is shown in this answer alone: never in a URL or a cookie.
        return await _case_page(
            request, actor, case_id, done=outcome.notice, revealed=outcome.revealed
        )
    response = redirect(f"/cases/{case_id}#tools")
    flash(request, response, outcome.notice)
    return response


@router.post("/{case_id}/review/{decision}")
async def case_review(
    request: Request, case_id: str, decision: str, actor: Actor = Depends(actor_page)
) -> Response:
    """Approve or Decline an identity check's recovery, with a Reason (reviewers only)."""
    require_role(actor, Role.REVIEWER)
    if decision not in review.DECISIONS:
        return console_page(
            request, "error.html", status=404, message="We couldn't find that page."
        )
    form = await console_form(request)
    deps = console_of(request).deps
    reason = text(form, "reason")
    # The case first, as its page would: another site's or topic's answers 404 here too.
    await queue.open_case(deps, actor, case_id)
    try:
        notice = await review.decide(deps, actor, case_id, decision, reason, who(request))
    except InvalidInput as exc:
        if exc.field != "reason":  # the Reason is the form's only field
            return await _case_page(request, actor, case_id, status=exc.status, problem=exc.message)
        key = f"{decision}.reason"
        return await _case_page(
            request,
            actor,
            case_id,
            status=exc.status,
            errors={key: exc.message},
            typed={key: reason},
        )
    except (Forbidden, Conflict, FlowExpired) as exc:
        return await _case_page(request, actor, case_id, status=exc.status, problem=exc.message)
    response = redirect(f"/cases/{case_id}#review")
    flash(request, response, notice)
    return response


@router.post("/{case_id}/appeal")
async def case_appeal(
    request: Request, case_id: str, actor: Actor = Depends(actor_page)
) -> Response:
    """Reinstate or Uphold an appeal, with the reason for the customer (trust only)."""
    require_role(actor, Role.TRUST)
    form = await console_form(request)
    deps = console_of(request).deps
    typed = {"appeal.decision": text(form, "decision"), "appeal.reason": text(form, "reason")}
    await queue.open_case(deps, actor, case_id)  # another site's or topic's case: 404
    try:
        notice = await appeals.decide(
            deps, actor, case_id, typed["appeal.decision"], typed["appeal.reason"], who(request)
        )
    except InvalidInput as exc:
        if exc.field not in ("decision", "reason"):
            return await _case_page(request, actor, case_id, status=exc.status, problem=exc.message)
        errors = {f"appeal.{exc.field}": exc.message}
        return await _case_page(
            request, actor, case_id, status=exc.status, errors=errors, typed=typed
        )
    except (Forbidden, Conflict, FlowExpired) as exc:
        return await _case_page(
            request, actor, case_id, status=exc.status, problem=exc.message, typed=typed
        )
    response = redirect(f"/cases/{case_id}#appeal")
    flash(request, response, notice)
    return response


@router.post("/{case_id}/{action}")
async def case_action(
    request: Request, case_id: str, action: str, actor: Actor = Depends(actor_page)
) -> Response:
    """Reply to customer, Internal note, Assign to me / Unassign, Change state."""
    require_role(actor, *CASE_ROLES)
    if action not in FIELDS:
        return console_page(
            request, "error.html", status=404, message="We couldn't find that page."
        )
    form = await console_form(request)
    deps = console_of(request).deps
    typed: dict[str, str] = {}
    try:
        if action == "reply":
            typed["reply"] = text(form, "reply")
            await queue.reply(deps, actor, case_id, typed["reply"], who(request))
            done = "replied"
        elif action == "note":
            typed["note"] = text(form, "note")
            await queue.note(deps, actor, case_id, typed["note"], who(request))
            done = "noted"
        elif action == "assign":
            to_me = text(form, "to") == "me"
            await queue.assign(deps, actor, case_id, "me" if to_me else None, who(request))
            done = "assigned" if to_me else "unassigned"
        else:
            await queue.set_state(deps, actor, case_id, text(form, "state"), who(request))
            done = "state"
    except InvalidInput as exc:
        field = FIELDS[action].get(exc.field or "", exc.field or action)
        return await _case_page(
            request,
            actor,
            case_id,
            status=exc.status,
            errors={field: exc.message},
            typed=typed,
        )
    except (Conflict, FlowExpired) as exc:
        return await _case_page(
            request, actor, case_id, status=exc.status, problem=exc.message, typed=typed
        )
    return redirect(f"/cases/{case_id}?done={done}")
