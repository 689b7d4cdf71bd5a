"""Admin pages: the staff list with its actions (each a POST with a reason), and the
read-only settings with every secret redacted."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.staff import Actor, Role, parse_roles
from entryway.errors import InvalidInput
from entryway.flows.staff import admin
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

router = APIRouter(prefix="/admin", include_in_schema=False)
DONE = {
    "roles": "Roles changed.",
    "disabled": "Staff member disabled; their console sessions have ended.",
    "unlocked": "Lock lifted.",
    "not-locked": "There was no lock to lift.",
}


async def _staff_page(
    request: Request, actor: Actor, *, status: int = 200, problem: str = "", done: str = ""
) -> Response:
    rows = await admin.staff_list(console_of(request).deps, actor)
    return console_page(
        request,
        "staff.html",
        status=status,
        rows=rows,
        roles=list(Role),
        problem=problem,
        done=done,
    )


@router.get("/staff")
async def staff_list(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    require_role(actor, Role.ADMIN)
    done = DONE.get(request.query_params.get("done", ""), "")
    return await _staff_page(request, actor, done=done)


@router.post("/staff/{staff_id}/{action}")
async def staff_action(
    request: Request, staff_id: str, action: str, actor: Actor = Depends(actor_page)
) -> Response:
    require_role(actor, Role.ADMIN)
    form = await console_form(request)
    deps = console_of(request).deps
    reason = text(form, "reason")
    try:
        if action == "roles":
            chosen = [v for v in form.getlist("roles") if isinstance(v, str)]
            try:
                roles = parse_roles(chosen)
            except ValueError:
                raise InvalidInput("Choose at least one role.", field="roles") from None
            await admin.set_roles(deps, actor, staff_id, roles, reason, who(request))
            done = "roles"
        elif action == "disable":
            await admin.disable(deps, actor, staff_id, reason, who(request))
            done = "disabled"
        elif action == "unlock":
            lifted = await admin.lift_lock(deps, actor, staff_id, reason, who(request))
            done = "unlocked" if lifted else "not-locked"
        else:
            return console_page(
                request, "error.html", status=404, message="We couldn't find that page."
            )
    except InvalidInput as exc:
        return await _staff_page(request, actor, status=exc.status, problem=exc.message)
    return redirect(f"/admin/staff?done={done}")


@router.get("/settings")
async def settings(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    require_role(actor, Role.ADMIN)
    console = console_of(request)
    await admin.settings_viewed(console.deps, actor, who(request))
    return console_page(request, "settings.html", settings=console.config.settings)
