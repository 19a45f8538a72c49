"""Library scanning: why a file failed, what it looked like when indexed, and case-exact paths.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from the models, so this revision never changes after release.
_CASE_EXACT_PATH = mysql.VARCHAR(512, charset="utf8mb4", collation="utf8mb4_bin")
_CASE_FOLDED_PATH = mysql.VARCHAR(512, charset="utf8mb4", collation="utf8mb4_unicode_ci")


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    op.add_column("library", sa.Column("error", sa.String(500), nullable=True))
    op.add_column("library", sa.Column("size_bytes", sa.BigInteger(), nullable=True))
    op.add_column("library", sa.Column("mtime_ns", sa.BigInteger(), nullable=True))
    op.create_index("ix_library_filename", "library", ["filename"])
    if _is_mysql():
        # "Song.wav" and "song.wav" are two files, and rescans select rows by a code-point range
        # over file_path; SQLite's default collation already compares code points.
        op.alter_column(
            "library",
            "file_path",
            type_=_CASE_EXACT_PATH,
            existing_type=_CASE_FOLDED_PATH,
            existing_nullable=False,
        )


def downgrade() -> None:
    if _is_mysql():
        op.alter_column(
            "library",
            "file_path",
            type_=_CASE_FOLDED_PATH,
            existing_type=_CASE_EXACT_PATH,
            existing_nullable=False,
        )
    op.drop_index("ix_library_filename", table_name="library")
    with op.batch_alter_table("library") as batch:
        for column in ("mtime_ns", "size_bytes", "error"):
            batch.drop_column(column)
