"""The demo shop's registration: one first-party, confidential app per demo site, with a
fresh secret at each start (handed to the shop in the same process, never printed)."""

from __future__ import annotations

from dataclasses import dataclass

from entryway.core.secrets import new_token
from entryway.flows.apps.clients import secret_hash
from entryway.flows.apps.records import App
from entryway.flows.ports import Deps


@dataclass(frozen=True, slots=True)
class DemoShop:
    app: App
    secret: str
    host: str  # the shop's own host, e.g. shop.localhost:8000


def shop_host(site: str, port: int) -> str:
    """``shop.localhost`` for the US site, ``shop-<site>.localhost`` for the others."""
    name = "shop" if site == "us" else f"shop-{site}"
    return f"{name}.localhost:{port}"


async def register_demo_shop(deps: Deps, port: int) -> list[DemoShop]:
    """The Acme Shop app on every site (made, or given a new secret if it exists)."""
    out = []
    now = deps.clock.now()
    async with deps.uow() as uow:
        for site in deps.sites.sites:
            host = shop_host(site.code, port)
            secret = new_token(deps.rng, 32)
            values = {
                "name": "Acme Shop",
                "secret_hash": secret_hash(deps, secret),
                "redirect_uris": [f"http://{host}/callback"],
                "post_logout_redirect_uris": [f"http://{host}/"],
                "backchannel_logout_uri": f"http://{host}/backchannel-logout",
                "public": False,
                "first_party": True,
            }
            app_id = f"acme-shop-{site.code}"
            if not await uow.apps.update_app(site.code, app_id, secret_rotated_at=now, **values):
                await uow.apps.add_app(App(id=app_id, site=site.code, created_at=now, **values))  # type: ignore[arg-type]
            found = await uow.apps.get_app(site.code, app_id)
            assert found is not None
            out.append(DemoShop(app=found, secret=secret, host=host))
        await uow.commit()
    return out
