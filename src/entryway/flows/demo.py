"""Demo accounts, so a new user can sign in right away (demo mode only)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from entryway.core.events import AccountStatus, AuditAction
from entryway.core.identifiers import IdentifierKind
from entryway.core.secrets import new_token
from entryway.flows.common import audit
from entryway.flows.ports import Account, Deps, Requester

DEMO_PASSWORD = "sunny-harbor-42"  # noqa: S105 (printed for demo users on purpose)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    site: str
    name: str
    email: str | None
    phone: str | None


DEMO_ACCOUNTS = [
    DemoAccount("us", "Jane Doe", "jane@example.com", "+1 201 555 0123"),
    DemoAccount("uk", "Jane Doe", "jane@example.com", None),
    DemoAccount("uk", "Oliver Smith", "oliver@example.co.uk", "07400 123456"),
    DemoAccount("ca", "Sam Tremblay", "sam@example.ca", None),
]


def shoppers(count: int) -> list[DemoAccount]:
    """Extra US accounts for load tests: shopper1@example.com ... (one per client, as real
    traffic signs in many accounts, not one account many times at once)."""
    return [
        DemoAccount("us", f"Shopper {n}", f"shopper{n}@example.com", None)
        for n in range(1, count + 1)
    ]


@dataclass(frozen=True, slots=True)
class Seeded:
    """The fixed demo accounts, split by whether the demo password still signs them in, and
    how many shoppers were asked for (their passwords are never checked)."""

    with_password: list[DemoAccount]
    without_password: list[DemoAccount]
    shoppers: int


async def seed(deps: Deps, extra: int = 0) -> Seeded:
    """Create the demo accounts that are missing (idempotent), plus ``extra`` shoppers, and
    check which fixed accounts that were already there still have the demo password."""
    encoded: str | None = None  # hashed only if an account is missing
    kept: list[tuple[DemoAccount, str]] = []
    async with deps.uow() as uow:
        for demo in DEMO_ACCOUNTS + shoppers(extra):
            site = deps.site(demo.site)
            email = deps.identifiers.parse(demo.email, site.phone_region) if demo.email else None
            phone = deps.identifiers.parse(demo.phone, site.phone_region) if demo.phone else None
            first = email or phone
            assert first is not None
            found = await uow.accounts.find(site.code, first)
            if found is not None:
                if demo in DEMO_ACCOUNTS:
                    kept.append((demo, found.password_hash))
                continue
            if encoded is None:
                encoded = await deps.hasher.hash(DEMO_PASSWORD)
            account_id = new_token(deps.rng, 16)
            await uow.accounts.add(
                Account(
                    id=account_id,
                    site=site.code,
                    name=demo.name,
                    email=email.value if email else None,
                    phone=phone.value if phone else None,
                    password_hash=encoded,
                    status=AccountStatus.ACTIVE,
                    created_at=deps.clock.now(),
                    email_verified=email is not None,
                    phone_verified=phone is not None,
                )
            )
            await audit(
                deps,
                uow,
                site.code,
                account_id,
                AuditAction.ACCOUNT_CREATED,
                Requester(ip="", user_agent="entryway demo"),
                via=(IdentifierKind.EMAIL if email else IdentifierKind.PHONE).value,
            )
        await uow.commit()
    # One verify per fixed account kept from an earlier run: a few, never thousands, so the
    # shoppers (up to 10,000 for load tests) are left out.
    verified = await asyncio.gather(*(deps.hasher.verify(h, DEMO_PASSWORD) for _, h in kept))
    changed = [demo for (demo, _), ok in zip(kept, verified, strict=True) if not ok]
    return Seeded(
        with_password=[d for d in DEMO_ACCOUNTS if d not in changed],
        without_password=changed,
        shoppers=extra,
    )
