"""The metrics port: flows and the web layer report what happened, an adapter counts it.

Every label is one of the closed sets in ``core/observe.py``, a channel, a lock reason, an
HTTP method, a status code or a route's template (``/account/passkeys/{passkey_id}``),
never a value from the request (SECURITY.md 42)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from entryway.core.events import Channel
from entryway.core.observe import DeliveryResult, SignInMethod, SignInOutcome


class Metrics(Protocol):
    def sign_in(self, method: SignInMethod, outcome: SignInOutcome) -> None: ...
    def lock_opened(self, reason: str) -> None: ...
    def delivered(self, channel: Channel, result: DeliveryResult) -> None: ...
    def request(self, app: str, route: str, method: str, status: int, seconds: float) -> None: ...


class NoMetrics:
    """Metrics turned off (no ``METRICS_ADDRESS``): every report costs one call."""

    def sign_in(self, method: SignInMethod, outcome: SignInOutcome) -> None:
        return None

    def lock_opened(self, reason: str) -> None:
        return None

    def delivered(self, channel: Channel, result: DeliveryResult) -> None:
        return None

    def request(self, app: str, route: str, method: str, status: int, seconds: float) -> None:
        return None


@dataclass(frozen=True, slots=True)
class GaugeReading:
    """What the database holds now, read at each scrape (the same from every instance)."""

    outbox_waiting: int  # messages not yet delivered and not given up
    outbox_due: int  # of those, the ones whose time has come
    # Since when the longest-waiting message has waited: when it fell due, or, once it
    # failed, when it was written (None: nothing is overdue or being retried).
    oldest_since: datetime | None
    recoveries: dict[str, int] = field(default_factory=dict)  # by state, live ones
    cases: dict[str, int] = field(default_factory=dict)  # by state


class Gauges(Protocol):
    async def read(self, now: datetime) -> GaugeReading: ...
