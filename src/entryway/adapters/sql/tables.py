"""Table definitions. Every table that holds customer data carries ``site``, and every
repository query filters on it (DESIGN.md house rule 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

from entryway.core.recovery import LIVE_STATES

# The states in which a recovery is live, as SQL (an index predicate and a query filter).
LIVE_RECOVERY = "state IN (" + ", ".join(f"'{s.value}'" for s in sorted(LIVE_STATES)) + ")"


_SQLITE_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # SQLAlchemy's DATETIME storage format


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PG)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing a naive datetime: {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite the text SQLAlchemy stores (``YYYY-MM-DD HH:MM:SS.ffffff``, which
        comparisons in SQL order as text) formatted straight from the UTC fields; the
        general way (``process_bind_param``, then the dialect's own formatting) cost three
        times as much, and a refused sign-in binds ten. Anything but an aware datetime goes
        the general way."""
        general = super().bind_processor(dialect)
        if dialect.name != "sqlite" or general is None:
            return general

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                u = value if value.tzinfo is UTC else value.astimezone(UTC)
                return _SQLITE_TEXT % (
                    u.year,
                    u.month,
                    u.day,
                    u.hour,
                    u.minute,
                    u.second,
                    u.microsecond,
                )
            return general(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite the stored text read with the offset added in one step; parsing it to
        a naive datetime and then replacing its tzinfo cost five times as much (about 1.3
        µs a column, and a session check reads eleven). Any other text (one
        ``fromisoformat`` cannot read, a bare date) goes the general way."""
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or general is None:
            return general

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                try:
                    parsed = datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    parsed = None
                if parsed is not None and parsed.tzinfo is not None:  # a bare date drops it
                    return parsed
            return general(value)

        return process


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(32)
SITE = String(16)

accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("name", String(100), nullable=False),
    Column("email", String(320)),
    Column("phone", String(20)),
    Column("password_hash", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("phone_verified", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime),
    Column("two_step", Boolean, nullable=False, server_default="0"),
    Column("preferred_factor", String(32)),
    # Set while someone may know the password (a right password stopped at a code, or a lock
    # from wrong codes): new devices then need a code whatever the recent counts say.
    Column("suspect_since", UtcDateTime),
    # After a recovery replaced the contacts: no further change before then.
    Column("contacts_fixed_until", UtcDateTime),
    # The latest suspension and its end (None: indefinite); core.suspension.applies decides.
    Column("suspension_id", ID),
    Column("suspended_until", UtcDateTime),
    # The preferred language of its messages ("" = the site's default).
    Column("locale", String(16), nullable=False, server_default=""),
    # When its owner closed it (status "closed"); housekeeping erases it a grace period later.
    Column("closed_at", UtcDateTime),
    UniqueConstraint("site", "email"),
    Index(None, "closed_at"),
    UniqueConstraint("site", "phone"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("level", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("idle_deadline", UtcDateTime, nullable=False),
    Column("absolute_deadline", UtcDateTime, nullable=False),
    Column("remember", Boolean, nullable=False),
    Column("ip", String(64), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Column("client", String(8), nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("auth_at", UtcDateTime),  # last time the password (or a reauthentication) was given
    # How it signed in: space-separated core.apps.Amr values, for the apps' ID tokens.
    Column("amr", String(64), nullable=False, server_default="pwd"),
    Index(None, "site", "account_id"),
)

flow_states = Table(
    "flow_states",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("site", SITE, nullable=False),
    Column("purpose", String(32), nullable=False),
    # No account for the decoy flows that unknown identifiers get (password reset).
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("target_kind", String(8), nullable=False),
    Column("target", String(320), nullable=False),
    Column("code_hash", String(80), nullable=False),
    Column("code_expires_at", UtcDateTime, nullable=False),
    Column("code_attempts", Integer, nullable=False),
    Column("sends", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("consumed_at", UtcDateTime),
    Column("stage", String(16), nullable=False, server_default="code"),
    Column("last_sent_at", UtcDateTime),
    Column("channel", String(8), nullable=False, server_default=""),
    Column("note", String(32), nullable=False, server_default=""),
    # The identity check's evidence so far (questions right, the order typed).
    Column("detail", JSON, nullable=False, server_default="{}"),
    Index(None, "site", "account_id", "purpose"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("site", SITE, nullable=False),
    Column("account_id", ID),
    Column("action", String(48), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("ip", String(64), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Column("detail", JSON, nullable=False),
    Index(None, "site", "account_id", "at"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID),
    Column("channel", String(8), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_until", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("last_error", String(500), nullable=False),
    Column("dedupe_key", String(64), unique=True),
    Column("html", Text, nullable=False, server_default=""),  # an email's HTML part
    Index(None, "status", "next_attempt_at"),
    Index(None, "site", "account_id", "created_at"),
)

failure_counters = Table(
    "failure_counters",
    metadata,
    Column("site", SITE, primary_key=True),
    Column("scope", String(16), primary_key=True),
    Column("key_hash", String(64), primary_key=True),
    Column("window_start", UtcDateTime, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_at", UtcDateTime),  # the latest hit, for the progressive delay
)

locks = Table(
    "locks",
    metadata,
    # Keyed like the account's failure counter, so an identifier with no account locks the
    # same way as one with an account (the lock notice reveals nothing).
    Column("site", SITE, primary_key=True),
    Column("key_hash", String(64), primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("reason", String(24), nullable=False),
    Column("locked_at", UtcDateTime, nullable=False),
    Column("until", UtcDateTime, nullable=False),
    # Locks in a row without a success in between: past the policy's cap on consecutive
    # failures, the lock no longer lifts by itself (NIST SP 800-63B-4 §3.2.2).
    Column("strikes", Integer, nullable=False, server_default="1"),
    Index(None, "site", "account_id"),
)

links = Table(
    "links",
    metadata,
    # Emailed single-use links (unlock; later appeal and recovery cancel), by keyed hash.
    Column("id_hash", String(64), primary_key=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(24), nullable=False),
    Column("reason", String(24), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Index(None, "site", "account_id", "purpose"),
)

known_devices = Table(
    "known_devices",
    metadata,
    # Devices that signed in to an account before: they keep their own failure budget.
    Column("site", SITE, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("device_hash", String(64), primary_key=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
)

second_factors = Table(
    "second_factors",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # totp or phone
    Column("label", String(60), nullable=False),
    Column("secret_sealed", Text, nullable=False),  # TOTP key, encrypted; "" for phones
    Column("phone", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
    Index(None, "site", "account_id"),
)

totp_steps = Table(
    "totp_steps",
    metadata,
    # One row per accepted step: the primary key makes each step usable once per account.
    Column("site", SITE, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("step", BigInteger, primary_key=True, autoincrement=False),
    Column("used_at", UtcDateTime, nullable=False),
)

backup_codes = Table(
    "backup_codes",
    metadata,
    Column("site", SITE, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

verification_answers = Table(
    "verification_answers",
    metadata,
    # One row per chosen question (position 1 to 3); the set is replaced as a whole.
    Column("site", SITE, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("question_id", String(40), nullable=False),
    Column("answer_hash", Text, nullable=False),  # argon2id of the normalised answer
    Column("set_at", UtcDateTime, nullable=False),
)

remembered_browsers = Table(
    "remembered_browsers",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "site", "account_id"),
)

support_cases = Table(
    "support_cases",
    metadata,
    Column("id", ID, primary_key=True),
    Column("number", String(16), nullable=False, unique=True),
    Column("site", SITE, nullable=False),
    # None until Verify it's you links a signed-out case (SECURITY.md 32). A deleted
    # (unverified) account unlinks its cases: their threads are append-only.
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("topic", String(32), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # What a signed-out customer typed: shown as "claims to be", never looked up on opening.
    Column("claimed_name", String(100), nullable=False, server_default=""),
    Column("claimed_kind", String(8), nullable=False, server_default=""),
    Column("claimed_contact", String(320)),
    Column("assigned_to", String(32)),  # a staff id; staff tables live elsewhere
    Column("first_reply_due", UtcDateTime),  # cleared by the first agent reply
    Column("last_customer_at", UtcDateTime),
    Column("last_agent_at", UtcDateTime),
    Column("solved_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("verified_at", UtcDateTime),
    Column("verify_sends", Integer, nullable=False, server_default="0"),
    # An agent-started password reset's flow token, sealed: the case page hands it back.
    Column("reset_flow", Text, nullable=False, server_default=""),
    # The language it was asked in (a signed-out case has no account to keep one).
    Column("locale", String(16), nullable=False, server_default=""),
    Index(None, "site", "state", "first_reply_due"),
    Index(None, "site", "account_id"),
    Index(None, "site", "claimed_contact"),
    Index(None, "state"),  # the metrics' count of open cases by state, across sites
)

case_entries = Table(
    "case_entries",
    metadata,
    # A case's thread: customer and agent messages, internal notes, recorded events.
    # Append-only: no repository updates or deletes a row, and the database refuses them too
    # (triggers, migration 0007); cases are never deleted, so the cascade never runs.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("site", SITE, nullable=False),
    Column("case_id", ID, ForeignKey("support_cases.id", ondelete="CASCADE"), nullable=False),
    Column("author", String(16), nullable=False),
    Column("staff_id", String(32)),
    Column("body", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "site", "case_id", "at"),
)

case_links = Table(
    "case_links",
    metadata,
    # View your case links, by keyed hash. Not in ``links``: a signed-out case has no account.
    Column("id_hash", String(64), primary_key=True),
    Column("site", SITE, nullable=False),
    Column("case_id", ID, ForeignKey("support_cases.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Index(None, "site", "case_id"),
)

# Staff: tables of their own, never the customers' (SECURITY.md 30). No ``site`` column:
# a staff member works on a set of sites, and the console scopes every query by it.
staff = Table(
    "staff",
    metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(100), nullable=False, server_default=""),
    Column("roles", String(100), nullable=False),  # comma list of core.staff.Role values
    Column("sites", String(200), nullable=False),  # comma list of site codes
    Column("all_sites", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_hash", String(200)),
    Column("totp_sealed", Text),
    Column("totp_confirmed_at", UtcDateTime),
    Column("enrolled_at", UtcDateTime),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("staff_id", ID, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("level", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("idle_deadline", UtcDateTime, nullable=False),
    Column("absolute_deadline", UtcDateTime, nullable=False),
    Column("ip", String(64), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Index(None, "staff_id"),
)

staff_links = Table(
    "staff_links",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("staff_id", ID, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Index(None, "staff_id"),
)

staff_failures = Table(
    "staff_failures",
    metadata,
    # Keyed by a keyed hash of the typed email, so unknown emails count and lock alike, or
    # of the client address (its count across emails; common.address_key).
    Column("key_hash", String(64), primary_key=True),
    Column("window_start", UtcDateTime, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_at", UtcDateTime),
)

staff_locks = Table(
    "staff_locks",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("staff_id", ID, ForeignKey("staff.id", ondelete="CASCADE")),
    Column("locked_at", UtcDateTime, nullable=False),
    Column("reason", String(24), nullable=False),
    Index(None, "staff_id"),
)

staff_totp_steps = Table(
    "staff_totp_steps",
    metadata,
    Column("staff_id", ID, ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("step", BigInteger, primary_key=True, autoincrement=False),
    Column("used_at", UtcDateTime, nullable=False),
)

staff_audit = Table(
    "staff_audit",
    metadata,
    # Append-only: no repository updates or deletes a row; staff rows are never deleted
    # either (disabled instead), so no foreign key is needed to keep the actor's id.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("actor_id", ID),
    Column("action", String(48), nullable=False),
    Column("target_id", ID),
    Column("at", UtcDateTime, nullable=False),
    Column("ip", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Index(None, "at"),
    Index(None, "target_id", "at"),
)


recoveries = Table(
    "recoveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("new_kind", String(8), nullable=False),
    Column("new_contact", String(320), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("questions_right", Boolean, nullable=False),
    # What was typed for the order, kept only until the check is evaluated.
    Column("order_number", String(64), nullable=False, server_default=""),
    Column("order_total", String(24), nullable=False, server_default=""),
    Column("two_step", Boolean, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("waiting_since", UtcDateTime),
    Column("wait_until", UtcDateTime),
    Column("notices_sent", Integer, nullable=False, server_default="0"),
    Column("case_id", ID),
    Column("decided_by", ID),
    Column("decided_at", UtcDateTime),
    Column("decision_reason", Text, nullable=False, server_default=""),
    Column("ended_at", UtcDateTime),
    Column("requester_ip", String(64), nullable=False, server_default=""),
    Column("requester_agent", String(300), nullable=False, server_default=""),
    Column("requester_locale", String(16), nullable=False, server_default=""),
    Index(None, "state", "created_at"),
    Index(None, "site", "case_id"),
    # At most one live recovery per account (SECURITY.md 34): a partial unique index, which
    # SQLite and PostgreSQL both enforce, so two servers cannot both open one.
    Index(
        "uq_recoveries_live",
        "site",
        "account_id",
        unique=True,
        sqlite_where=text(LIVE_RECOVERY),
        postgresql_where=text(LIVE_RECOVERY),
    ),
)


suspensions = Table(
    "suspensions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("measure", String(16), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("facts", Text, nullable=False),
    Column("automated", Boolean, nullable=False),
    Column("scope", String(16), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("acted_by", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("until", UtcDateTime),
    Column("appeal_until", UtcDateTime),
    Column("lifted_at", UtcDateTime),
    Column("lifted_by", String(40)),
    Column("lift_reason", Text, nullable=False, server_default=""),
    Index(None, "site", "account_id", "starts_at"),
)

appeals = Table(
    "appeals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("suspension_id", ID, ForeignKey("suspensions.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", ID, nullable=False),
    Column("case_id", ID, nullable=False),
    Column("number", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("decided_by", ID),
    Column("decided_at", UtcDateTime),
    Column("decision_reason", Text, nullable=False, server_default=""),
    UniqueConstraint("suspension_id", "number"),
    Index(None, "site", "case_id"),
    # One open appeal per suspension at a time (a partial unique index on both databases).
    Index(
        "uq_appeals_open",
        "suspension_id",
        unique=True,
        sqlite_where=text("state = 'open'"),
        postgresql_where=text("state = 'open'"),
    ),
)

staff_tokens = Table(
    "staff_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("staff_id", ID, ForeignKey("staff.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Index(None, "staff_id"),
)


# OpenID Connect (issue 14). Codes, tokens and client secrets are stored only as keyed hashes
# (64 hex characters); every query but the signing keys' filters on site (SECURITY.md 40).
APP_ID = String(64)
GRANT_ID = String(64)

oidc_apps = Table(
    "oidc_apps",
    metadata,
    Column("id", APP_ID, primary_key=True),  # the public client_id
    Column("site", SITE, nullable=False),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64), nullable=False),  # "" for a public client
    Column("redirect_uris", JSON, nullable=False),
    Column("post_logout_redirect_uris", JSON, nullable=False),
    Column("backchannel_logout_uri", Text, nullable=False, server_default=""),
    Column("public", Boolean, nullable=False),
    Column("first_party", Boolean, nullable=False),
    Column("id_token_alg", String(8), nullable=False),
    Column("created_at", UtcDateTime),
    Column("secret_rotated_at", UtcDateTime),
    Index(None, "site"),
)

oidc_grants = Table(
    "oidc_grants",
    metadata,
    Column("id", GRANT_ID, primary_key=True),
    Column("site", SITE, nullable=False),
    Column("app_id", APP_ID, ForeignKey("oidc_apps.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", ID, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("code_expires_at", UtcDateTime, nullable=False),
    Column("code_challenge", String(128), nullable=False),
    Column("nonce", Text, nullable=False),
    Column("sid", String(64), nullable=False),  # the authorizing session's public_id
    Column("auth_time", UtcDateTime, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("refresh_until", UtcDateTime, nullable=False),
    Column("code_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("revoked_why", String(32), nullable=False, server_default=""),
    Index(None, "site", "account_id"),
)

oidc_tokens = Table(
    "oidc_tokens",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("site", SITE, nullable=False),
    Column("grant_id", GRANT_ID, ForeignKey("oidc_grants.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # core.apps.TokenKind
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Index(None, "grant_id"),
)

oidc_consents = Table(
    "oidc_consents",
    metadata,
    Column("site", SITE, primary_key=True),
    Column("account_id", ID, primary_key=True),
    Column("app_id", APP_ID, ForeignKey("oidc_apps.id", ondelete="CASCADE"), primary_key=True),
    Column("scopes", JSON, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

oidc_keys = Table(
    "oidc_keys",
    metadata,
    # No site: every site's issuer publishes the same JWKS.
    Column("kid", String(64), primary_key=True),
    Column("alg", String(8), nullable=False),
    Column("private_sealed", Text, nullable=False),  # PEM, sealed with deps.sealer
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("active_from", UtcDateTime, nullable=False),
    Column("retired_at", UtcDateTime),
    Column("drop_after", UtcDateTime),
)


def _passkey_tables(prefix: str) -> tuple[Table, Table]:
    """Passkeys and their ceremonies' challenges. Customers' and staff's have tables of
    their own, of one shape (SECURITY.md 30): ``site`` is the relying party's code."""
    keys = Table(
        f"{prefix}passkeys",
        metadata,
        Column("site", SITE, primary_key=True),
        Column("credential_id", String(1400), primary_key=True),  # base64url, <= 1023 bytes
        Column("account_id", ID, nullable=False),
        Column("public_key", Text, nullable=False),  # base64url of the COSE key
        Column("sign_count", BigInteger, nullable=False),  # an unsigned 32-bit counter
        Column("name", String(60), nullable=False),
        Column("transports", JSON, nullable=False),
        Column("aaguid", String(36), nullable=False, server_default=""),
        Column("backed_up", Boolean, nullable=False, server_default="0"),
        Column("created_at", UtcDateTime, nullable=False),
        Column("last_used_at", UtcDateTime),
        Index(None, "site", "account_id"),
    )
    challenges = Table(
        f"{prefix}passkey_challenges",
        metadata,
        Column("id_hash", String(64), primary_key=True),
        Column("site", SITE, nullable=False),
        Column("ceremony", String(16), nullable=False),  # flows.passkeys.records.Ceremony
        Column("challenge", String(128), nullable=False),
        Column("account_id", ID),
        Column("created_at", UtcDateTime, nullable=False),
        Column("expires_at", UtcDateTime, nullable=False),
        Column("used_at", UtcDateTime),
        Index(None, "expires_at"),
    )
    return keys, challenges


passkeys, passkey_challenges = _passkey_tables("")
staff_passkeys, staff_passkey_challenges = _passkey_tables("staff_")
