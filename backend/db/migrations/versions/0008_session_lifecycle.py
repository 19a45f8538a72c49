"""Sessions that pause, end with a reason, explain themselves and can be kept; presets.

sessions: paused_at (while paused), paused_sec (pauses before the current one), end_reason
(ended | completed | abandoned), favourite, explanation (the plan in plain words), and an index on
ended_at for the sweeper of abandoned sessions. presets: a listener's named sessions to start again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _datetime() -> sa.types.TypeEngine[object]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _now() -> sa.TextClause:
    mysql_like = op.get_bind().dialect.name in ("mysql", "mariadb")
    return sa.text("CURRENT_TIMESTAMP(6)" if mysql_like else "CURRENT_TIMESTAMP")


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("paused_at", _datetime(), nullable=True))
        batch.add_column(sa.Column("paused_sec", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("end_reason", sa.String(20), nullable=True))
        batch.add_column(sa.Column("favourite", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("explanation", sa.JSON(), nullable=True))
        batch.create_index("ix_sessions_ended_at", ["ended_at"])
    op.execute("UPDATE sessions SET end_reason = 'ended' WHERE ended_at IS NOT NULL")
    op.create_table(
        "presets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("intent", sa.String(100), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("chosen_family", sa.String(20), nullable=True),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("created_at", _datetime(), nullable=False, server_default=_now()),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_presets_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_presets_user_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )


def downgrade() -> None:
    op.drop_table("presets")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_ended_at")
        batch.drop_column("explanation")
        batch.drop_column("favourite")
        batch.drop_column("end_reason")
        batch.drop_column("paused_sec")
        batch.drop_column("paused_at")
