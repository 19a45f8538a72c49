"""Initial schema: users, sessions, library, prompts (spec §2).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.models.orm import MYSQL_TABLE_ARGS, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEUROTYPES = ("adhd", "autism", "anxiety", "depression", "neurotypical", "other")
TINYLLAMA = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


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
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
        sa.Column("last_active", UTCDateTime(), nullable=False, server_default=_now()),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default="1"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        **MYSQL_TABLE_ARGS,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_sessions_user_id_users"),
            nullable=False,
        ),
        sa.Column("intent", sa.String(100), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("duration_sec", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False, server_default=_now()),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("feedback_note", sa.Text(), nullable=True),
        sa.CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="ck_sessions_rating_range"),
        sa.CheckConstraint("duration_sec IS NULL OR duration_sec >= 0", name="ck_sessions_duration_nonneg"),
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
        sa.Column("analyzed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
        sa.UniqueConstraint("file_path", name="uq_library_file_path"),
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
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
        sa.Column("updated_at", UTCDateTime(), nullable=False, server_default=_now()),
        sa.UniqueConstraint("name", name="uq_prompts_name"),
        **MYSQL_TABLE_ARGS,
    )


def downgrade() -> None:
    op.drop_table("prompts")
    op.drop_index("ix_library_format_bpm", table_name="library")
    op.drop_index("ix_library_bpm", table_name="library")
    op.drop_table("library")
    op.drop_index("ix_sessions_user_started", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("users")
