"""Sessions remember the prompt template (id and version) the model wrote their schedule with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_sessions_prompt_id_prompts"


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("prompt_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prompt_version", sa.Integer(), nullable=True))
        batch.create_foreign_key(_FK, "prompts", ["prompt_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint(_FK, type_="foreignkey")
        batch.drop_column("prompt_version")
        batch.drop_column("prompt_id")
