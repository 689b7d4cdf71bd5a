"""The one composition root: settings -> adapters -> services -> app."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp

from entryway.adapters.backchannel import HttpLogoutPoster
from entryway.adapters.clock import SystemClock
from entryway.adapters.dkim_signing import DkimKeyError, DkimSigner
from entryway.adapters.hashing import Argon2Hasher, Argon2Params
from entryway.adapters.help_articles import HelpArticleError, load_help_center
from entryway.adapters.i18n import load_catalogs
from entryway.adapters.identifiers import IdentifierParser
from entryway.adapters.loopback import LoopbackTransport
from entryway.adapters.mail import DemoSink, SmtpMailer
from entryway.adapters.messages import MessageTemplates
from entryway.adapters.metrics import MetricsListener, PrometheusMetrics
from entryway.adapters.orders import HttpOrders
from entryway.adapters.orders_twin import MemoryOrders
from entryway.adapters.sealing import AesGcmSealer
from entryway.adapters.sms import WebhookTexter
from entryway.adapters.sql.database import OUTAGE_TYPES, Database, is_outage, known_revisions
from entryway.adapters.strength import common_passwords, estimate
from entryway.adapters.template_check import check_templates_dir
from entryway.adapters.webhooks import SignedEventPoster
from entryway.core.apps import AppPolicy
from entryway.core.articles import HelpCenter
from entryway.core.housekeeping import Retention
from entryway.core.locales import Catalogs
from entryway.core.lockout import LockPolicy
from entryway.core.passwords import PasswordPolicy
from entryway.core.recovery import RecoveryPolicy
from entryway.core.secrets import Random
from entryway.core.sessions import SessionPolicy
from entryway.core.sites import SiteDirectory
from entryway.flows import housekeeping
from entryway.flows.apps.keys import ensure_keys
from entryway.flows.apps.logout import logout_token
from entryway.flows.demo_orders import demo_orders
from entryway.flows.observe.ports import NoMetrics
from entryway.flows.observe.readings import reading
from entryway.flows.outbox.delivery import Courier
from entryway.flows.outbox.worker import DeliveryLoop
from entryway.flows.passkeys.ceremonies import sweep as passkey_sweep
from entryway.flows.ports import Clock, Deps, Keys, Mailer, OrderLookup, Texter
from entryway.flows.recovery.pending import evaluate_requested, move_along
from entryway.flows.signin.gate import HashGate
from entryway.flows.support.queue import close_solved
from entryway.settings import Settings, console_host, listen_address
from entryway.settings_webhooks import subscriptions, webhook_problems
from entryway.web.app import create_app
from entryway.web.console.app import create_console_app
from entryway.web.console.dispatch import ConsoleHost
from entryway.web.console.render import ConsoleConfig
from entryway.web.health import Probes
from entryway.web.observe import RequestMetrics
from entryway.web.render import TEMPLATES, make_templates
from entryway.web.security import WebConfig

CASE_SWEEP_SECONDS = 3600.0
RECOVERY_SWEEP_SECONDS = 5.0
HOUSEKEEPING_SECONDS = 3600.0


class UnsafeSettings(SystemExit):
    pass


@dataclass
class Runtime:
    settings: Settings
    db: Database
    deps: Deps
    delivery: DeliveryLoop
    http: httpx.AsyncClient
    web: WebConfig
    hasher: Argon2Hasher
    articles: HelpCenter
    catalogs: Catalogs
    console: ConsoleConfig | None = None
    metrics: PrometheusMetrics | None = None  # with METRICS_ADDRESS

    async def close(self) -> None:
        await self.delivery.stop()
        await self.http.aclose()
        await self.db.dispose()
        self.hasher.close()


def derive(secret: str, label: str) -> bytes:
    """Independent keys for independent uses, all from the one configured secret."""
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest()


def demo_secret(data_dir: Path) -> str:
    """Demo mode keeps a generated secret in its data folder, so restarts keep sessions."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    texter: Texter | None = None,
    schema: str | None = None,
    rng: Random | None = None,
) -> Runtime:
    """Wire every part from ``settings``; twins may be passed in by tests."""
    problems = settings.problems() or (
        settings.console_problems()
        + settings.order_lookup_problems()
        + webhook_problems(settings.webhooks, settings.demo)
        + settings.dkim_problems()
    )
    if problems:
        raise UnsafeSettings("refusing to start:\n  - " + "\n  - ".join(problems))
    secret = settings.secret_key
    assert len(secret) >= 32, "demo mode supplies a secret before build()"
    sites = SiteDirectory(list(settings.sites), settings.site_aliases)
    catalogs = load_catalogs([tag for site in sites.sites for tag in site.locales])
    articles = help_center(settings, sites, catalogs)
    templates_dir = Path(settings.templates_dir) if settings.templates_dir else None
    if templates_dir is not None:
        faults = check_templates_dir(templates_dir, TEMPLATES)
        if faults:
            raise UnsafeSettings(
                "refusing to start: ENTRYWAY_TEMPLATES_DIR:\n  - " + "\n  - ".join(faults)
            )
    db = Database(settings.database_url, schema=schema)
    # The demo's apps live on *.localhost, which Python does not resolve by itself.
    http = (
        httpx.AsyncClient(transport=LoopbackTransport()) if settings.demo else httpx.AsyncClient()
    )
    sink = DemoSink()
    signer = dkim_signer(settings)
    mail: Mailer = mailer or (
        SmtpMailer(settings.smtp_url, signer=signer) if settings.smtp_url else sink
    )
    text: Texter = texter or (
        WebhookTexter(settings.sms_webhook_url, http) if settings.sms_webhook_url else sink
    )
    clock = clock or SystemClock()
    twin = MemoryOrders() if settings.demo and not settings.order_lookup_url else None
    orders: OrderLookup | None = twin or (
        HttpOrders(settings.order_lookup_url, settings.order_lookup_secret, http, clock)
        if settings.order_lookup_url
        else None
    )

    metrics = PrometheusMetrics() if settings.metrics_address else None

    async def sign_logout(body: str) -> str:
        return await logout_token(deps, body)  # ``deps`` is made below, before any delivery

    courier = Courier(
        uow=db.uow,
        clock=clock,
        mailer=mail,
        texter=text,
        sender=settings.mail_from,
        keep_code_bodies=settings.demo,
        poster=HttpLogoutPoster(http),
        sign_logout=sign_logout,
        metrics=metrics or NoMetrics(),
        events=SignedEventPoster(http, {w.url: w.secret for w in settings.webhooks}),
    )
    delivery = DeliveryLoop(courier, settings.deliver_interval_seconds)
    hasher = Argon2Hasher(
        Argon2Params(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost),
        concurrency=settings.hash_concurrency,
        pepper=derive(secret, "password-pepper"),
    )
    if metrics is not None:
        hasher.observe_wait(metrics.watch_hashing(hasher.queue_depth))
    deps = Deps(
        sites=sites,
        clock=clock,
        rng=rng or Random(token_bytes=secrets.token_bytes, randbelow=secrets.randbelow),
        hasher=hasher,
        identifiers=IdentifierParser(),
        uow=db.uow,
        read=db.read,
        keys=Keys(
            hashing=derive(secret, "stored-secrets"), subject=derive(secret, "public-subject")
        ),
        sealer=AesGcmSealer(derive(secret, "sealed-secrets")),
        messages=MessageTemplates(catalogs, templates_dir),
        passwords=PasswordPolicy(
            min_length=settings.min_password_length, common=common_passwords(), strength=estimate
        ),
        session_policy=_session_policy(settings),
        lock_policy=lock_policy(settings),
        hash_gate=HashGate(settings.hash_slots_per_address),
        questions=settings.question_list(),
        on_message=delivery.wake,
        orders=orders,
        recovery_policy=recovery_policy(settings),
        app_policy=app_policy(settings),
        suspension_reasons=settings.reason_catalog(),
        metrics=metrics or NoMetrics(),
        webhooks=subscriptions(settings.webhooks),
        retention=Retention(
            message_days=settings.message_retention_days,
            closed_account_days=settings.closed_account_days,
        ),
    )
    if twin is not None:  # the demo's store knows a few delivered orders of each account
        for site_code, key, placed in demo_orders(deps):
            twin.add(site_code, key, placed)
    # Solved cases close 7 days on; the sweep rides on the delivery loop (hourly is plenty).
    delivery.every(CASE_SWEEP_SECONDS, functools.partial(close_solved, deps))
    delivery.every(CASE_SWEEP_SECONDS, functools.partial(passkey_sweep, deps))
    # Expired rows go an hour at a time, in small batches (flows/housekeeping.py).
    delivery.every(HOUSEKEEPING_SECONDS, functools.partial(housekeeping.periodic, deps), aside=True)
    # Recoveries are weighed soon after they are asked for, and their notices and ends come
    # on time; both jobs are conditional writes, so every instance may run them.
    delivery.every(RECOVERY_SWEEP_SECONDS, functools.partial(evaluate_requested, deps))
    delivery.every(RECOVERY_SWEEP_SECONDS, functools.partial(move_along, deps))
    web = WebConfig(
        demo=settings.demo,
        csrf_key=derive(secret, "csrf"),
        trusted_proxies=WebConfig.networks(settings.trusted_proxies),
        outage_types=OUTAGE_TYPES,
        is_outage=is_outage,
    )
    console = (
        ConsoleConfig(
            url=settings.console_url.rstrip("/"),
            csrf_key=derive(secret, "console-csrf"),
            settings=tuple(settings.redacted()),
            trusted_proxies=web.trusted_proxies,
            demo=settings.demo,
            outage_types=web.outage_types,
            is_outage=web.is_outage,
        )
        if settings.console_url
        else None
    )
    return Runtime(
        settings=settings,
        db=db,
        deps=deps,
        delivery=delivery,
        http=http,
        web=web,
        hasher=hasher,
        articles=articles,
        catalogs=catalogs,
        console=console,
        metrics=metrics,
    )


def dkim_signer(settings: Settings) -> DkimSigner | None:
    """The DKIM signer the settings ask for; a key that cannot sign refuses to start."""
    if not settings.dkim_private_key_file:
        return None
    try:
        return DkimSigner.from_file(
            settings.dkim_selector, settings.dkim_domain, Path(settings.dkim_private_key_file)
        )
    except DkimKeyError as exc:
        raise UnsafeSettings(f"refusing to start: ENTRYWAY_DKIM_PRIVATE_KEY_FILE: {exc}") from None


def help_center(
    settings: Settings, sites: SiteDirectory, catalogs: Catalogs | None = None
) -> HelpCenter:
    """Every site's help articles in each of its languages, rendered once; a bad article
    refuses to start."""
    folder = Path(settings.help_articles_dir) if settings.help_articles_dir else None
    try:
        return load_help_center(
            sites.sites, settings.mail_from, folder, catalogs, signing_domain=settings.dkim_domain
        )
    except HelpArticleError as exc:
        raise UnsafeSettings(
            f"refusing to start: ENTRYWAY_HELP_ARTICLES_DIR: {exc}"
            if folder
            else f"refusing to start: the shipped help articles: {exc}"
        ) from None


def lock_policy(settings: Settings) -> LockPolicy:
    """The lockout policy from settings; LockPolicy refuses inconsistent numbers at start."""
    return LockPolicy(
        delay_from=settings.delay_after_failures,
        lock_at=settings.lock_after_failures,
        known_device_lock_at=settings.known_device_lock_after,
        lock_for=timedelta(minutes=settings.lock_minutes),
        unusual_after=settings.unusual_after_failures,
        ip_unusual_at=settings.ip_unusual_after,
        ip_refuse_at=settings.ip_refuse_after,
    )


def app_policy(settings: Settings) -> AppPolicy:
    """The OIDC provider's lifetimes from settings (AppPolicy refuses nonsense at start)."""
    return AppPolicy(
        code=timedelta(seconds=settings.oidc_code_seconds),
        access=timedelta(minutes=settings.oidc_access_minutes),
        id_token=timedelta(minutes=settings.oidc_id_token_minutes),
        refresh=timedelta(days=settings.oidc_refresh_days),
        refresh_absolute=timedelta(days=settings.oidc_refresh_absolute_days),
        refresh_grace=timedelta(seconds=settings.oidc_refresh_grace_seconds),
        first_party_refresh=settings.oidc_first_party_refresh,
        key_publish=timedelta(minutes=settings.oidc_key_publish_minutes),
    )


def recovery_policy(settings: Settings) -> RecoveryPolicy:
    """The recovery waits from settings; RecoveryPolicy refuses inconsistent ones at start."""
    return RecoveryPolicy(
        wait=timedelta(minutes=settings.recovery_wait_minutes),
        wait_two_step=timedelta(minutes=settings.recovery_wait_minutes_two_step),
        refusal_delay=timedelta(minutes=settings.recovery_refusal_delay_minutes),
        checks_per_day=settings.identity_checks_per_day,
    )


def _session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
        remembered_idle=timedelta(days=min(14, settings.remember_days)),
        remembered_absolute=timedelta(days=settings.remember_days),
    )


def app_for(runtime: Runtime, *, migrate: bool = False, deliver: bool = True) -> FastAPI:
    """The ASGI app; its lifespan migrates (when asked), runs delivery and closes it all."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await runtime.db.upgrade()
        await ensure_keys(runtime.deps)  # the OIDC signing keys, made on first start
        try:
            listener = await _listen_for_scrapes(runtime)  # a taken address stops here
        except BaseException:
            await runtime.close()
            raise
        if deliver:
            runtime.delivery.start()
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            await runtime.close()

    settings = runtime.settings
    app = create_app(
        runtime.deps,
        runtime.web,
        lifespan,
        articles=runtime.articles,
        templates=make_templates(
            runtime.catalogs,
            Path(settings.templates_dir) if settings.templates_dir else None,
        ),
    )
    metrics = runtime.metrics
    if metrics is not None:  # outside the app's own middleware: the whole request is timed
        app.add_middleware(RequestMetrics, metrics=metrics, name="site")
    if runtime.console is not None:
        # Outermost: the console's host never reaches the customer app, nor a site's the
        # console; lifespan events still go to the customer app alone, so they run once.
        console: ASGIApp = create_console_app(runtime.deps, runtime.console)
        if metrics is not None:
            console = RequestMetrics(console, metrics=metrics, name="console")
        app.add_middleware(ConsoleHost, console=console, host=console_host(runtime.console.url))
    # Outermost of all: a load balancer's probe may send any Host, an IP address too.
    known_revisions()  # read the migrations now, not during a probe
    app.add_middleware(Probes, db=runtime.db, delivery=runtime.delivery, delivers=deliver)
    return app


async def _listen_for_scrapes(runtime: Runtime) -> MetricsListener | None:
    """The metrics listener on METRICS_ADDRESS, when set; a taken address refuses to start."""
    if runtime.metrics is None:
        return None
    host, port = listen_address(runtime.settings.metrics_address)
    listener = MetricsListener(
        runtime.metrics, functools.partial(reading, runtime.deps), runtime.deps.clock.now
    )
    try:
        await listener.start(host, port)
    except OSError as exc:
        raise UnsafeSettings(
            f"refusing to start: ENTRYWAY_METRICS_ADDRESS {host}:{port}: {exc.strerror}"
        ) from None
    return listener


def configure_logging(level: str) -> None:
    """JSON lines on stderr for our logs and uvicorn's alike; nothing we log carries a code,
    password or token."""
    shared: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso"),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
