"""Timestamps keep microseconds on MySQL/MariaDB (DATETIME(6)), as SQLite always did: the start
answer, GET /sessions/{id} and the live stream agree on when a session started to the millisecond.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, has a CURRENT_TIMESTAMP default)
_COLUMNS = (
    ("users", "created_at", True),
    ("users", "last_active", True),
    ("sessions", "started_at", True),
    ("sessions", "ended_at", False),
    ("library", "analyzed_at", False),
    ("library", "created_at", True),
    ("prompts", "created_at", True),
    ("prompts", "updated_at", True),
)


def _alter(fsp: int) -> None:
    if op.get_bind().dialect.name not in ("mysql", "mariadb"):
        return  # SQLite stores the microseconds already
    now = "CURRENT_TIMESTAMP" + (f"({fsp})" if fsp else "")
    for table, column, defaulted in _COLUMNS:
        op.alter_column(
            table,
            column,
            type_=mysql.DATETIME(fsp=fsp),
            existing_nullable=not defaulted,
            nullable=not defaulted,
            server_default=sa.text(now) if defaulted else None,
        )


def upgrade() -> None:
    _alter(6)


def downgrade() -> None:
    _alter(0)
