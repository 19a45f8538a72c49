"""SQLAlchemy table definitions, exactly the spec's §2 tables plus the indexes the queries need.

Timestamps are stored as naive UTC (MySQL DATETIME has no zone) and read back as aware UTC.
"""

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from backend.schedules.listener import Neurotype

# MySQL/MariaDB: utf8mb4 so emoji and every script survive; InnoDB for foreign keys.
MYSQL_TABLE_ARGS = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mysql_engine": "InnoDB",
}


EndReason = Literal["ended", "completed", "abandoned"]
"""Why a session ended: the listener ended it, it ran its course, or nobody listened to the end."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """DATETIME holding UTC; Python sees timezone-aware datetimes only."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # Microseconds on MySQL/MariaDB too (migration 0006), as SQLite keeps them.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Named constraints, so the migrations and the models agree on every name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


# TINYINT on MySQL/MariaDB as the spec says; SQLite has no such type.
RATING_TYPE = SmallInteger().with_variant(mysql.TINYINT(), "mysql", "mariadb")

NEUROTYPE_ENUM = Enum(
    Neurotype,
    name="neurotype",
    values_callable=lambda enum: [member.value for member in enum],
    create_constraint=True,
    validate_strings=True,
)


def _key_type(length: int) -> TypeEngine[str]:
    """Binary collation on MySQL/MariaDB: equal only if equal byte for byte, as on SQLite."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = MYSQL_TABLE_ARGS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(255))
    # Who the person is (models.identity): canonical forms, unique, compared byte for byte.
    email_key: Mapped[str] = mapped_column(_key_type(320), unique=True)
    username_key: Mapped[str] = mapped_column(_key_type(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    neurotype: Mapped[Neurotype] = mapped_column(
        NEUROTYPE_ENUM, default=Neurotype.neurotypical, server_default=Neurotype.neurotypical.value
    )
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    last_active: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    sessions: Mapped[list["ListeningSession"]] = relationship(back_populates="user", passive_deletes=True)


class ListeningSession(Base):
    """A listening session. `schedule` is the plan that was played (validated before storing)."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        CheckConstraint("duration_sec IS NULL OR duration_sec >= 0", name="duration_nonneg"),
        # History lists a user's sessions newest first.
        Index("ix_sessions_user_started", "user_id", "started_at"),
        # The sweeper looks at the sessions that have not ended.
        Index("ix_sessions_ended_at", "ended_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    intent: Mapped[str] = mapped_column(String(100))
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    duration_sec: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    ended_at: Mapped[datetime | None] = mapped_column()
    rating: Mapped[int | None] = mapped_column(RATING_TYPE)
    feedback_note: Mapped[str | None] = mapped_column(Text)
    # The template the model wrote the schedule with; null while the planner's schedule stands.
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id", ondelete="SET NULL"))
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    # What became of the model's background refinement (schedules.refiner.RefinementOutcome);
    # null when no model was configured.
    refinement: Mapped[str | None] = mapped_column(String(20))
    # Pauses (models.listening_time): while paused, when it began; and the pauses before it.
    paused_at: Mapped[datetime | None] = mapped_column()
    paused_sec: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # Why it ended: "ended" (by the listener), "completed" (ran its course), "abandoned" (nobody
    # listened to the end; closed by the sweeper).
    end_reason: Mapped[str | None] = mapped_column(String(20))
    favourite: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The plan in plain words (schedules.explain.PlanExplanation), for the page beside the chart.
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user: Mapped[User] = relationship(back_populates="sessions")


# Binary collation on MySQL/MariaDB: file names are case-sensitive, and the scanner's prefix range
# over file_path must compare code points (as SQLite does).
LIBRARY_PATH_TYPE = String(512).with_variant(
    mysql.VARCHAR(512, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


class LibraryFile(Base):
    """An indexed audio file. `file_path` is absolute (as walked, under a library root); `error`
    says why a file could not be analysed, and such rows are kept so rescans skip them until the
    file changes (`size_bytes`, `mtime_ns`)."""

    __tablename__ = "library"
    __table_args__ = (
        # GET /library filters by tempo range, format and key, and pages by file name or tempo;
        # each index holds what a page's ids and its total need, so neither reads whole rows.
        Index("ix_library_bpm_filename", "bpm", "filename"),
        Index("ix_library_format_bpm_filename", "format", "bpm", "filename"),
        Index("ix_library_key_bpm_filename", "key_signature", "bpm", "filename"),
        Index("ix_library_filename", "filename"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_path: Mapped[str] = mapped_column(LIBRARY_PATH_TYPE, unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(10))
    duration_sec: Mapped[float | None] = mapped_column(Float)
    bpm: Mapped[float | None] = mapped_column(Float)
    key_signature: Mapped[str | None] = mapped_column(String(10))
    tags: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    analyzed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    error: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)


class Prompt(Base):
    __tablename__ = "prompts"
    __table_args__ = MYSQL_TABLE_ARGS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    template: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(
        String(100),
        default="TinyLlama/TinyLlama-1.1B-Chat-v1.0",
        server_default="TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )


class Preset(Base):
    """A listener's named session to start again: an intent and length, re-planned each time,
    or (with `schedule`) exactly the schedule they kept."""

    __tablename__ = "presets"
    __table_args__ = (UniqueConstraint("user_id", "name"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    intent: Mapped[str] = mapped_column(String(100))
    duration_min: Mapped[int] = mapped_column(Integer)
    chosen_family: Mapped[str | None] = mapped_column(String(20))
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())


class WriteProbe(Base):
    """The one row /health rewrites to learn whether the database still accepts writes."""

    __tablename__ = "write_probe"
    __table_args__ = MYSQL_TABLE_ARGS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    written_at: Mapped[str] = mapped_column(String(40))
