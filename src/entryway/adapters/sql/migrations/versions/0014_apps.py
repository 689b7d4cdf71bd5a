"""the store's apps as OpenID Connect clients: apps, grants, tokens, consents, signing keys,
and how each session signed in (amr)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("amr", sa.String(64), nullable=False, server_default="pwd"))
    op.create_table(
        "oidc_apps",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.Text(), nullable=False, server_default=""),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("first_party", sa.Boolean(), nullable=False),
        sa.Column("id_token_alg", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("secret_rotated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_oidc_apps"),
    )
    op.create_index("ix_oidc_apps_site", "oidc_apps", ["site"])
    op.create_table(
        "oidc_grants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("auth_time", sa.DateTime(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("refresh_until", sa.DateTime(), nullable=False),
        sa.Column("code_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_why", sa.String(32), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["app_id"], ["oidc_apps.id"], ondelete="CASCADE", name="fk_oidc_grants_app_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_oidc_grants"),
        sa.UniqueConstraint("code_hash", name="uq_oidc_grants_code_hash"),
    )
    op.create_index("ix_oidc_grants_site_account_id", "oidc_grants", ["site", "account_id"])
    op.create_table(
        "oidc_tokens",
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["oidc_grants.id"], ondelete="CASCADE", name="fk_oidc_tokens_grant_id"
        ),
        sa.PrimaryKeyConstraint("hash", name="pk_oidc_tokens"),
    )
    op.create_index("ix_oidc_tokens_grant_id", "oidc_tokens", ["grant_id"])
    op.create_table(
        "oidc_consents",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["oidc_apps.id"], ondelete="CASCADE", name="fk_oidc_consents_app_id"
        ),
        sa.PrimaryKeyConstraint("site", "account_id", "app_id", name="pk_oidc_consents"),
    )
    op.create_table(
        "oidc_keys",
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("alg", sa.String(8), nullable=False),
        sa.Column("private_sealed", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active_from", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("drop_after", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_oidc_keys"),
    )


def downgrade() -> None:
    op.drop_table("oidc_keys")
    op.drop_table("oidc_consents")
    op.drop_table("oidc_tokens")
    op.drop_table("oidc_grants")
    op.drop_table("oidc_apps")
    op.drop_column("sessions", "amr")
