"""Migrations build exactly the models' schema, and come down again, on SQLite and MariaDB."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from backend.db.database import create_engine
from backend.db.migrate import downgrade_engine, upgrade_engine
from backend.models.orm import Base
from backend.services.bootstrap import prepare_database
from backend.tests.conftest import BACKENDS

SPEC_TABLES = {"users", "sessions", "library", "prompts"}
TABLES = SPEC_TABLES | {"presets", "write_probe"}  # the spec's four, presets, /health's write probe


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
    return str(request.getfixturevalue("migrated_mysql_url"))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _schema_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_matches_models_and_downgrade_removes_all(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await downgrade_engine(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()

        await upgrade_engine(engine, "head")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == TABLES
            assert await connection.run_sync(_schema_drift) == []
            indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("sessions"))
            assert any(ix["column_names"] == ["user_id", "started_at"] for ix in indexes)

        await downgrade_engine(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
    finally:
        await upgrade_engine(engine, "head")  # leave the shared MariaDB database as the other tests expect
        await engine.dispose()


async def test_prepare_database_is_idempotent(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await prepare_database(engine)
        await prepare_database(engine)
        async with engine.connect() as connection:
            names = (await connection.execute(text("SELECT name FROM prompts"))).scalars().all()
        assert len(names) == len(set(names)) >= 1
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragma.db'}")
    try:
        await upgrade_engine(engine)
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_database_refuses_orphan_sessions_and_bad_ratings(database_url: str) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    engine = create_engine(database_url)
    try:
        await upgrade_engine(engine)
        orphan = text("INSERT INTO sessions (user_id, intent, schedule) VALUES (424242, 'x', '{}')")
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(orphan)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, email_key, username_key) "
                    "VALUES ('u', 'u@example.org', 'h', 'u@example.org', 'u')"
                )
            )
            user_id = (await connection.execute(text("SELECT id FROM users"))).scalar_one()
        bad_rating = text(
            "INSERT INTO sessions (user_id, intent, schedule, rating) VALUES (:u, 'x', '{}', 9)"
        )
        # MariaDB reports a failed CHECK as an OperationalError (4025); SQLite as an IntegrityError.
        with pytest.raises((IntegrityError, OperationalError), match="rating_range"):
            async with engine.begin() as connection:
                await connection.execute(bad_rating, {"u": user_id})
    finally:
        await engine.dispose()
