"""Library scanning: why a file failed, what it was like when indexed, case-exact paths, list indexes.

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

_INDEXES = {
    "ix_library_bpm_filename": ["bpm", "filename"],
    "ix_library_format_bpm_filename": ["format", "bpm", "filename"],
    "ix_library_key_bpm_filename": ["key_signature", "bpm", "filename"],
    "ix_library_filename": ["filename"],
}


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    op.add_column("library", sa.Column("error", sa.String(500), nullable=True))
    op.add_column("library", sa.Column("size_bytes", sa.BigInteger(), nullable=True))
    op.add_column("library", sa.Column("mtime_ns", sa.BigInteger(), nullable=True))
    # Indexes that answer GET /library's pages and totals without reading rows.
    op.drop_index("ix_library_bpm", table_name="library")
    op.drop_index("ix_library_format_bpm", table_name="library")
    for name, columns in _INDEXES.items():
        op.create_index(name, "library", columns)
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
    for name in _INDEXES:
        op.drop_index(name, table_name="library")
    op.create_index("ix_library_bpm", "library", ["bpm"])
    op.create_index("ix_library_format_bpm", "library", ["format", "bpm"])
    with op.batch_alter_table("library") as batch:
        for column in ("mtime_ns", "size_bytes", "error"):
            batch.drop_column(column)
