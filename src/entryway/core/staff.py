"""Staff: roles, what each role may see, and the actor every console action is made by.

Staff are not customers: they have their own table, sessions, cookies and origin (the
console). A staff member holds one or more roles and works on a set of sites (or all of
them); every console query is scoped by both (SECURITY.md 33).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """Stable role names, stored and printed by ``entryway staff``."""

    AGENT = "agent"  # sign-in cases, the account summary, the agent tools
    REVIEWER = "reviewer"  # identity-check reviews
    TRUST = "trust"  # suspensions and appeals
    ADMIN = "admin"  # staff, roles, settings (read-only, secrets redacted)


class StaffStatus(enum.StrEnum):
    """Staff account states.

    ```mermaid
    stateDiagram-v2
        [*] --> invited: entryway staff add
        invited --> active: enrolment link used (password + authenticator app)
        active --> invited: entryway staff reset (password and second step void)
        invited --> disabled: entryway staff disable
        active --> disabled: entryway staff disable
        disabled --> invited: entryway staff reset
    ```
    """

    INVITED = "invited"
    ACTIVE = "active"
    DISABLED = "disabled"


def parse_roles(values: list[str] | tuple[str, ...]) -> frozenset[Role]:
    """Role names to roles; an unknown name is refused with the names we know."""
    if not values:
        raise ValueError("give at least one role: " + ", ".join(r.value for r in Role))
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {value!r}; the roles are {known}") from None
    return frozenset(roles)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting in the console: passed to every console flow, checked by each."""

    staff_id: str
    email: str
    roles: frozenset[Role]
    sites: frozenset[str]  # ignored when all_sites
    all_sites: bool = False

    def has(self, role: Role) -> bool:
        return role in self.roles

    def sees_site(self, site: str) -> bool:
        """Whether this staff member works on ``site`` at all."""
        return self.all_sites or site in self.sites

    def site_scope(self, every: list[str]) -> list[str]:
        """The site codes, out of ``every``, this staff member's queries may touch."""
        return [code for code in every if self.sees_site(code)]
