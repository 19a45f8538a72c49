"""The library table's queries and the scanner's batched writes, on SQLite and MariaDB."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.audio_processor.analyzer import TrackAnalysis
from backend.audio_processor.scanner import FoundFile, KnownFile, ScannedFile
from backend.db.database import create_engine, create_session_factory
from backend.db.migrate import upgrade_engine
from backend.library.catalog import LibraryIndex, LibraryQueries
from backend.models.schemas import LibraryQuery

ROOT = Path("/srv/music")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    await upgrade_engine(engine)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def _scanned(
    name: str,
    bpm: float | None = 120.0,
    key: str | None = "A minor",
    error: str | None = None,
    size: int = 10,
) -> ScannedFile:
    path = ROOT / name
    found = FoundFile(path, path.suffix[1:].lower(), size_bytes=size, mtime_ns=1_700_000_000_000_000_000)
    analysis = TrackAnalysis(
        duration_sec=None if error else 30.0,
        bpm=None if error else bpm,
        key=None if error else key,
        error=error,
    )
    return ScannedFile(found, analysis)


async def _list(sessions: async_sessionmaker[AsyncSession], **query: object) -> list[str]:
    async with sessions() as db:
        return [row.filename for row in await LibraryQueries(db).list(LibraryQuery.model_validate(query))]


async def _count(sessions: async_sessionmaker[AsyncSession], **query: object) -> int:
    async with sessions() as db:
        return await LibraryQueries(db).count(LibraryQuery.model_validate(query))


@pytest.fixture
async def library(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    await LibraryIndex(sessions).save(
        [
            _scanned("slow.wav", bpm=70.0, key="C major"),
            _scanned("mid.flac", bpm=100.0, key="A minor"),
            _scanned("fast.mp3", bpm=140.0, key="A minor"),
            _scanned("faster.ogg", bpm=170.0, key="F# major"),
            _scanned("100%_done.wav", bpm=100.0, key="C major"),
            _scanned("broken.wav", error="empty file (0 bytes)"),
        ]
    )
    return sessions


async def test_filters_by_tempo_format_key_and_name(library: async_sessionmaker[AsyncSession]) -> None:
    assert await _list(library, bpm_min=90, bpm_max=140, order="bpm") == [
        "100%_done.wav",
        "mid.flac",
        "fast.mp3",
    ]
    assert await _count(library, bpm_min=90, bpm_max=140) == 3
    assert await _list(library, format="flac") == ["mid.flac"]
    assert await _list(library, key="A minor", order="-bpm") == ["fast.mp3", "mid.flac"]
    assert await _list(library, q="FAST") == ["fast.mp3", "faster.ogg"]  # case-insensitive substring
    assert await _list(library, q="%") == ["100%_done.wav"]  # wildcards are literal
    assert await _list(library, q="_") == ["100%_done.wav"]


async def test_failed_files_are_listed_only_when_asked(library: async_sessionmaker[AsyncSession]) -> None:
    assert "broken.wav" not in await _list(library)
    assert await _count(library) == 5
    assert "broken.wav" in await _list(library, include_failed=True)
    assert await _count(library, include_failed=True) == 6


async def test_every_order_and_stable_pages(library: async_sessionmaker[AsyncSession]) -> None:
    assert await _list(library, order="filename") == [
        "100%_done.wav",
        "fast.mp3",
        "faster.ogg",
        "mid.flac",
        "slow.wav",
    ]
    assert (await _list(library, order="-filename"))[0] == "slow.wav"
    assert await _list(library, order="added") == [
        "slow.wav",
        "mid.flac",
        "fast.mp3",
        "faster.ogg",
        "100%_done.wav",
    ]
    assert (await _list(library, order="-added"))[0] == "100%_done.wav"
    assert len(await _list(library, order="duration")) == len(await _list(library, order="-duration")) == 5
    # Equal tempos tie-break by name (then id), so pages neither repeat nor skip a row.
    pages = [await _list(library, order="bpm", limit=1, offset=i) for i in range(5)]
    assert [p[0] for p in pages] == ["slow.wav", "100%_done.wav", "mid.flac", "fast.mp3", "faster.ogg"]


def test_the_query_itself_is_validated() -> None:
    for bad in (
        {"bpm_min": 150, "bpm_max": 100},
        {"order": "size"},
        {"format": "aac"},
        {"key": "H minor"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"bpm_min": "nan"},
        {"q": "a\x00b"},
    ):
        with pytest.raises(ValidationError):
            LibraryQuery.model_validate(bad)


async def test_upsert_updates_in_place_and_remove_deletes(sessions: async_sessionmaker[AsyncSession]) -> None:
    index = LibraryIndex(sessions)
    await index.save([_scanned(f"t{i:04d}.wav", bpm=60.0 + i % 100) for i in range(1200)])
    await index.save([_scanned("t0001.wav", bpm=99.0, size=20), _scanned("t0002.wav", error="broke")])

    known = await index.known_files(ROOT)
    assert len(known) == 1200
    assert known[str(ROOT / "t0001.wav")] == KnownFile(20, 1_700_000_000_000_000_000)
    async with sessions() as db:
        assert await LibraryQueries(db).count(LibraryQuery(bpm_min=99, bpm_max=99)) == 13  # 12 + the update
        broken = await LibraryQueries(db).list(LibraryQuery(q="t0002", include_failed=True))
    assert (broken[0].error, broken[0].bpm, broken[0].tags) == ("broke", None, None)

    await index.remove([str(ROOT / f"t{i:04d}.wav") for i in range(1000)])
    assert len(await index.known_files(ROOT)) == 200


async def test_paths_are_case_exact_and_ranges_exact(sessions: async_sessionmaker[AsyncSession]) -> None:
    index = LibraryIndex(sessions)
    await index.save(
        [
            _scanned("Song.wav"),
            _scanned("song.wav"),
            _scanned("a/x.wav"),
            _scanned("a b/x.wav"),
            _scanned("a0/x.wav"),
            _scanned("a/deeper/ü.wav"),
        ]
    )
    assert len(await index.known_files(ROOT)) == 6
    assert set(await index.known_files(ROOT / "a")) == {str(ROOT / "a/x.wav"), str(ROOT / "a/deeper/ü.wav")}
    async with sessions() as db:
        assert await LibraryQueries(db).count_below(ROOT / "a") == 2
        assert await LibraryQueries(db).count_below(Path("/srv/musi")) == 0


async def test_analysis_extras_are_kept_as_tags(sessions: async_sessionmaker[AsyncSession]) -> None:
    found = FoundFile(ROOT / "x.wav", "wav", 1, 1)
    analysis = TrackAnalysis(
        30.0, bpm=120.0, bpm_confidence=0.9, key="A minor", key_confidence=0.7, beat_offset_sec=0.25
    )
    await LibraryIndex(sessions).save([ScannedFile(found, analysis)])
    async with sessions() as db:
        (row,) = await LibraryQueries(db).list(LibraryQuery())
    assert row.tags == {"beat_offset_sec": 0.25, "bpm_confidence": 0.9, "key_confidence": 0.7}
    assert row.analyzed_at is not None
    assert row.error is None
