"""The Appeal panel of an appeal case: the statement of reasons the customer was given,
their appeal, the earlier appeals with their decisions, and the Decide call into
flows.trust.appeals.

Trust staff alone see it, on a case of topic appeal. Whether this staff member may decide
(a second appeal goes to someone other than whoever decided the first, SECURITY.md 37) is
the flow's answer; the page only shows it, and the flow checks it again on Decide.
"""

from __future__ import annotations

from entryway.core.cases import Topic
from entryway.core.staff import Actor, Role
from entryway.core.suspension import AppealState, Decision
from entryway.flows.ports import Deps, Requester
from entryway.flows.support.queue import AgentCase
from entryway.flows.trust import appeals
from entryway.flows.trust.appeals import AppealPanel

DECISIONS = (Decision.REINSTATE.value, Decision.UPHOLD.value)
NOTICES = {
    Decision.REINSTATE.value: "Account reinstated. The suspension is lifted and the customer "
    "is told they can sign in again.",
    Decision.UPHOLD.value: "Suspension upheld. The customer is emailed your reason.",
}
APPEAL_LABELS = {
    AppealState.OPEN: "Waiting for a decision",
    AppealState.UPHELD: "Upheld",
    AppealState.REINSTATED: "Reinstated",
    AppealState.WITHDRAWN: "Withdrawn: the suspension was lifted meanwhile",
}


def shows_appeal(actor: Actor, case: AgentCase) -> bool:
    """Trust staff alone see the panel, and only on an appeal's case."""
    return actor.has(Role.TRUST) and case.case.topic is Topic.APPEAL


async def panel(deps: Deps, actor: Actor, case: AgentCase) -> AppealPanel | None:
    """The panel for this case, or None when it is not one (or not for this actor)."""
    if not shows_appeal(actor, case):
        return None
    return await appeals.panel_for_case(deps, actor, case.case.id)


async def decide(
    deps: Deps, actor: Actor, case_id: str, decision: str, reason: str, who: Requester
) -> str:
    """Reinstate or Uphold with the reason for the customer; the notice to show back."""
    await appeals.decide(deps, actor, case_id, decision=decision, reason=reason, who=who)
    return NOTICES.get(decision, "Decision recorded.")
