"""One person, one identity: users.email_key and users.username_key hold the canonical forms
(NFKC + case folding, accents significant), unique and compared byte for byte on every database.

The uniqueness of the raw email and username columns moves to the keys: on MySQL/MariaDB their
accent- and case-insensitive collation said `josé@` was `jose@` while SQLite said it was not.
Existing rows get their keys here; two rows that only now collide (e.g. `Bob` and `bob` on SQLite)
keep both accounts, the later one's key suffixed with its id (it still logs in by its email).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger(__name__)


def _key_type(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _canonical(text: str) -> str:
    # As backend/models/identity.py at this revision (migrations never import the app).
    return unicodedata.normalize("NFKC", text.strip()).casefold()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_key", _key_type(320), nullable=True))
        batch.add_column(sa.Column("username_key", _key_type(50), nullable=True))
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("username", sa.String),
        sa.column("email_key", sa.String),
        sa.column("username_key", sa.String),
    )
    connection = op.get_bind()
    taken: dict[str, set[str]] = {"email_key": set(), "username_key": set()}
    rows = connection.execute(sa.select(users.c.id, users.c.email, users.c.username).order_by(users.c.id))
    for user_id, email, username in rows.all():
        keys = {}
        for column, raw in (("email_key", email), ("username_key", username)):
            key = _canonical(raw)
            if key in taken[column]:
                logger.warning(
                    "users.%s: user %s collides with an older account; kept, key suffixed", column, user_id
                )
                key = f"{key}~{user_id}"
            taken[column].add(key)
            keys[column] = key
        connection.execute(sa.update(users).where(users.c.id == user_id).values(**keys))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_key", existing_type=_key_type(320), nullable=False)
        batch.alter_column("username_key", existing_type=_key_type(50), nullable=False)
        batch.create_unique_constraint(op.f("uq_users_email_key"), ["email_key"])
        batch.create_unique_constraint(op.f("uq_users_username_key"), ["username_key"])
        batch.drop_constraint(op.f("uq_users_email"), type_="unique")
        batch.drop_constraint(op.f("uq_users_username"), type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.create_unique_constraint(op.f("uq_users_username"), ["username"])
        batch.create_unique_constraint(op.f("uq_users_email"), ["email"])
        batch.drop_constraint(op.f("uq_users_username_key"), type_="unique")
        batch.drop_constraint(op.f("uq_users_email_key"), type_="unique")
        batch.drop_column("username_key")
        batch.drop_column("email_key")
