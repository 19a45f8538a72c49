"""Initial schema: users, sessions, library, prompts (spec §2).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEUROTYPES = ("adhd", "autism", "anxiety", "depression", "neurotypical", "other")
TINYLLAMA = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
# Spelled out rather than imported from the models, so this revision never changes after release.
MYSQL_TABLE_ARGS = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mysql_engine": "InnoDB",
}
RATING_TYPE = sa.SmallInteger().with_variant(mysql.TINYINT(), "mysql", "mariadb")


def _now() -> sa.sql.elements.ColumnElement[sa.types.DateTime]:
    return sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column(
            "neurotype",
            sa.Enum(*NEUROTYPES, name="neurotype", create_constraint=True),
            nullable=False,
            server_default="neurotypical",
        ),
        sa.Column("preferences", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=_now()),
        sa.Column("last_active", sa.DateTime(), nullable=False, server_default=_now()),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default="1"),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        **MYSQL_TABLE_ARGS,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name=op.f("fk_sessions_user_id_users")),
            nullable=False,
        ),
        sa.Column("intent", sa.String(100), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("duration_sec", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False, server_default=_now()),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("rating", RATING_TYPE, nullable=True),
        sa.Column("feedback_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "rating IS NULL OR (rating BETWEEN 1 AND 5)", name=op.f("ck_sessions_rating_range")
        ),
        sa.CheckConstraint(
            "duration_sec IS NULL OR duration_sec >= 0", name=op.f("ck_sessions_duration_nonneg")
        ),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index("ix_sessions_user_started", "sessions", ["user_id", "started_at"])
    op.create_table(
        "library",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("file_path", sa.String(512), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(10), nullable=True),
        sa.Column("duration_sec", sa.Float(), nullable=True),
        sa.Column("bpm", sa.Float(), nullable=True),
        sa.Column("key_signature", sa.String(10), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("analyzed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=_now()),
        sa.UniqueConstraint("file_path", name=op.f("uq_library_file_path")),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index("ix_library_bpm", "library", ["bpm"])
    op.create_index("ix_library_format_bpm", "library", ["format", "bpm"])
    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("model", sa.String(100), nullable=True, server_default=TINYLLAMA),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=_now()),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=_now()),
        sa.UniqueConstraint("name", name=op.f("uq_prompts_name")),
        **MYSQL_TABLE_ARGS,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; MySQL refuses to drop ix_sessions_user_started alone
    # because it backs the user_id foreign key.
    for table in ("prompts", "library", "sessions", "users"):
        op.drop_table(table)
