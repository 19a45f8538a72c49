"""The library table: listing and counting for the API, and the scanner's batched reads and writes.

Upserts are one multi-row statement per batch (`ON CONFLICT` on SQLite, `ON DUPLICATE KEY` on
MySQL/MariaDB), so indexing ten thousand files is a few dozen round trips, not ten thousand.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from backend.audio_processor.analyzer import TrackAnalysis
from backend.audio_processor.scanner import KnownFile, ScannedFile
from backend.models.orm import LibraryFile, utcnow
from backend.models.schemas import LibraryQuery

_ORDER_COLUMNS: dict[str, list[InstrumentedAttribute[Any]]] = {
    "filename": [LibraryFile.filename, LibraryFile.id],
    "bpm": [LibraryFile.bpm, LibraryFile.filename, LibraryFile.id],
    "duration": [LibraryFile.duration_sec, LibraryFile.id],
    "added": [LibraryFile.id],  # ids grow with insertion, and unlike created_at never tie
}
# Parameters per statement stay well under SQLite's 32766 and MySQL's packet limits.
_WRITE_BATCH = 500
_UPDATED_ON_RESCAN = (
    "tags",
    "filename",
    "format",
    "duration_sec",
    "bpm",
    "key_signature",
    "analyzed_at",
    "error",
    "size_bytes",
    "mtime_ns",
)  # not created_at: "added" means first indexed


def _path_range(directory: Path) -> tuple[str, str]:
    """[low, high) bounds holding exactly the paths below `directory`, for an index range scan.

    Both backends compare file_path by code point (binary collation on MySQL), and "0" is the
    code point right after the separator "/".
    """
    prefix = str(directory).rstrip(os.sep) + os.sep
    return prefix, prefix[:-1] + chr(ord(os.sep) + 1)


def _conditions(where: LibraryQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.bpm_min is not None:
        conditions.append(LibraryFile.bpm >= where.bpm_min)
    if where.bpm_max is not None:
        conditions.append(LibraryFile.bpm <= where.bpm_max)
    if where.format is not None:
        conditions.append(LibraryFile.format == where.format)
    if where.key is not None:
        conditions.append(LibraryFile.key_signature == where.key)
    if where.q:
        conditions.append(LibraryFile.filename.contains(where.q, autoescape=True))
    # A failed file is stored with neither tempo nor key (see _row), so a tempo or key filter
    # already leaves it out; repeating it would cost every matching row a table read, where the
    # (bpm, filename) and (key_signature, bpm, filename) indexes alone answer the count and the page.
    implied = where.bpm_min is not None or where.bpm_max is not None or where.key is not None
    if not where.include_failed and not implied:
        conditions.append(LibraryFile.error.is_(None))
    return conditions


def _order(order: str) -> list[ColumnElement[Any]]:
    """ORDER BY for `order`, ending in id so that pages neither repeat nor skip rows. Tempo ties go
    by name first, which is exactly the (bpm, filename) indexes' own order (their last column is
    the row id), so a page is read straight off the index instead of sorting the whole range."""
    descending = order.startswith("-")
    columns = _ORDER_COLUMNS[order.lstrip("-")]
    return [c.desc() if descending else c.asc() for c in columns]


@dataclass
class LibraryQueries:
    """Reads for the API: filtered pages, totals, single tracks, per-root counts."""

    db: AsyncSession

    async def list(self, query: LibraryQuery) -> list[LibraryFile]:
        """One page of tracks matching `query`, in its order (ties broken by id, so pages neither
        repeat nor skip rows).

        The page's ids are chosen first from an index alone, then only those rows are read: sorting
        thousands of matches by name costs index entries, not whole rows.
        """
        order = _order(query.order)
        page = (
            select(LibraryFile.id)
            .where(*_conditions(query))
            .order_by(*order)
            .limit(query.limit)
            .offset(query.offset)
            .subquery()
        )
        statement = select(LibraryFile).join(page, LibraryFile.id == page.c.id).order_by(*order)
        return list((await self.db.execute(statement)).scalars())

    async def count(self, query: LibraryQuery) -> int:
        """How many tracks match `query`'s filters (its page ignored)."""
        statement = select(func.count()).select_from(LibraryFile).where(*_conditions(query))
        return int((await self.db.execute(statement)).scalar_one())

    async def by_id(self, track_id: int) -> LibraryFile | None:
        return await self.db.get(LibraryFile, track_id)

    async def count_below(self, directory: Path) -> int:
        low, high = _path_range(directory)
        statement = select(func.count()).where(LibraryFile.file_path >= low, LibraryFile.file_path < high)
        return int((await self.db.execute(statement)).scalar_one())


class LibraryIndex:
    """The scanner's `ScanIndex` over the library table; each call is its own transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def known_files(self, directory: Path) -> dict[str, KnownFile]:
        low, high = _path_range(directory)
        statement = select(LibraryFile.file_path, LibraryFile.size_bytes, LibraryFile.mtime_ns).where(
            LibraryFile.file_path >= low, LibraryFile.file_path < high
        )
        async with self._sessions() as db:
            rows = (await db.execute(statement)).all()
        return {path: KnownFile(size, mtime) for path, size, mtime in rows}

    async def save(self, scanned: Sequence[ScannedFile]) -> None:
        async with self._sessions() as db:
            for start in range(0, len(scanned), _WRITE_BATCH):
                rows = [_row(item) for item in scanned[start : start + _WRITE_BATCH]]
                await db.execute(_upsert(db), rows)
            await db.commit()

    async def remove(self, paths: Sequence[str]) -> None:
        async with self._sessions() as db:
            for start in range(0, len(paths), _WRITE_BATCH):
                chunk = paths[start : start + _WRITE_BATCH]
                await db.execute(delete(LibraryFile).where(LibraryFile.file_path.in_(chunk)))
            await db.commit()


def _row(item: ScannedFile) -> dict[str, Any]:
    analysis = item.analysis
    if analysis.error is not None:  # _conditions relies on failures having neither tempo nor key
        analysis = TrackAnalysis(duration_sec=analysis.duration_sec, error=analysis.error)
    return {
        "file_path": str(item.file.path),
        "filename": item.file.path.name[:255],
        "format": item.file.format,
        "duration_sec": analysis.duration_sec,
        "bpm": analysis.bpm,
        "key_signature": analysis.key,
        "tags": _auto_tags(analysis),
        "analyzed_at": utcnow(),
        "error": analysis.error,
        "size_bytes": item.file.size_bytes,
        "mtime_ns": item.file.mtime_ns,
    }


def _auto_tags(analysis: TrackAnalysis) -> dict[str, float] | None:
    """What the analyzer found beyond the columns: the beat phase (for beat-locked playback) and
    how sure it is. There is no user tagging yet, so the analysis owns `tags`."""
    if analysis.error is not None:
        return None
    tags = {"bpm_confidence": analysis.bpm_confidence, "key_confidence": analysis.key_confidence}
    if analysis.beat_offset_sec is not None:
        tags["beat_offset_sec"] = analysis.beat_offset_sec
    return tags


def _upsert(db: AsyncSession) -> Any:
    """INSERT ... on a duplicate file_path UPDATE the analysis columns, in the backend's dialect."""
    if db.get_bind().dialect.name == "sqlite":
        insert = sqlite.insert(LibraryFile)
        return insert.on_conflict_do_update(
            index_elements=[LibraryFile.file_path],
            set_={name: insert.excluded[name] for name in _UPDATED_ON_RESCAN},
        )
    statement = mysql.insert(LibraryFile)
    return statement.on_duplicate_key_update({name: statement.inserted[name] for name in _UPDATED_ON_RESCAN})
