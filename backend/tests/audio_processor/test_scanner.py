"""The scanner on real tracks and hostile files, with an in-memory index; the worker pool's failures."""

import asyncio
import os
import time
from pathlib import Path

import pytest

from backend.audio_processor.analysis_pool import AnalysisPool
from backend.audio_processor.scanner import (
    ScanOptions,
    ScanProgress,
    eta_sec,
    scan_directory,
    walk,
)
from backend.tests.audio_processor.hostile_analysis import hang_or_crash, no_warm_up
from backend.tests.music import FAILING, REFUSED, MemoryIndex, write_hostile, write_music

OPTIONS = ScanOptions(workers=2, file_timeout_sec=30)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    directory = (tmp_path / "library").resolve()
    directory.mkdir()
    return directory


async def _scan(root: Path, index: MemoryIndex, options: ScanOptions = OPTIONS) -> ScanProgress:
    return await scan_directory(root, root=root, roots=[root], index=index, options=options)


def test_walk_finds_audio_files_and_refuses_hostile_entries(root: Path, tmp_path: Path) -> None:
    tracks = write_music(root)
    write_hostile(root, tmp_path / "outside")

    result = walk(root, [root])

    found = {f.path.relative_to(root).as_posix(): f for f in result.files}
    assert set(found) == {t.relative for t in tracks} | set(FAILING)
    assert found["sub dir/with  spaces.FLAC"].format == "flac"  # extensions in any case
    refused = {path.relative_to(root).as_posix(): reason for path, reason in result.skipped}
    assert set(refused) == set(REFUSED)
    for name, words in REFUSED.items():
        assert words in refused[name], (name, refused[name])
    assert not result.unreadable_dirs


def test_walk_follows_symlinks_that_stay_inside_the_roots(root: Path, tmp_path: Path) -> None:
    (root / "albums").mkdir()
    (root / "albums" / "a.wav").write_bytes(b"x")
    other_root = (tmp_path / "other").resolve()
    other_root.mkdir()
    (other_root / "b.flac").write_bytes(b"y")
    os.symlink(root / "albums", root / "favourites")
    os.symlink(other_root, root / "linked root")

    only_first = walk(root, [root])
    both = walk(root, [root, other_root])

    assert {f.path.relative_to(root).as_posix() for f in only_first.files} == {"albums/a.wav"}
    # favourites points at a folder already walked: one copy, and the alias is reported.
    assert {p.name for p, _ in only_first.skipped} == {"favourites", "linked root"}
    assert {f.path.relative_to(root).as_posix() for f in both.files} == {"albums/a.wav", "linked root/b.flac"}


def test_walk_refuses_names_that_are_not_utf8_or_hold_control_characters(root: Path) -> None:
    os.close(os.open(os.path.join(os.fsencode(root), b"bad\xff.wav"), os.O_CREAT | os.O_WRONLY))
    (root / "bell\x07.wav").write_bytes(b"x")

    result = walk(root, [root])

    assert result.files == []
    assert sorted(reason for _, reason in result.skipped) == [
        "file name contains control characters",
        "file name is not valid UTF-8",
    ]


async def test_scan_analyses_real_tracks_and_records_each_failure(root: Path, tmp_path: Path) -> None:
    tracks = write_music(root)
    write_hostile(root, tmp_path / "outside")
    index = MemoryIndex()

    progress = await _scan(root, index)

    assert progress.tracks_found == progress.files_total == progress.files_done == len(tracks) + len(FAILING)
    assert progress.tracks_analyzed == len(tracks)
    assert progress.failed == len(FAILING)
    assert progress.skipped == len(REFUSED)
    assert progress.removed == 0
    rows = index.by_name(root)
    for track in tracks:
        analysis = rows[track.relative].analysis
        assert analysis.error is None
        assert analysis.bpm == pytest.approx(track.bpm, abs=0.5)
        assert analysis.key == track.key
        assert analysis.duration_sec == pytest.approx(8.0, abs=0.1)
    for name, words in FAILING.items():
        error = rows[name].analysis.error
        assert error, name
        assert words in error
    reported = {problem.file: problem.error for problem in progress.errors}
    assert set(reported) == set(FAILING) | set(REFUSED)


async def test_rescan_touches_only_what_changed(root: Path, tmp_path: Path) -> None:
    tracks = write_music(root)
    write_hostile(root, tmp_path / "outside")
    index = MemoryIndex()
    await _scan(root, index)
    index.saved.clear()

    unchanged = await _scan(root, index)
    assert (unchanged.tracks_analyzed, unchanged.failed, unchanged.removed) == (0, 0, 0)
    assert unchanged.skipped == len(tracks) + len(FAILING) + len(REFUSED)  # failures are not retried
    assert index.saved == []

    changed = root / tracks[0].relative
    os.utime(changed, ns=(time.time_ns(), changed.stat().st_mtime_ns + 1_000_000_000))
    (root / tracks[1].relative).unlink()
    (root / "copy.wav").write_bytes(changed.read_bytes())
    (root / "empty.wav").write_bytes((root / "copy.wav").read_bytes())  # the broken file was fixed

    rescan = await _scan(root, index)

    assert sorted(Path(p).relative_to(root).as_posix() for p in index.saved) == sorted(
        [tracks[0].relative, "copy.wav", "empty.wav"]
    )
    assert (rescan.tracks_analyzed, rescan.failed, rescan.removed) == (3, 0, 1)
    assert tracks[1].relative not in index.by_name(root)
    assert index.by_name(root)["empty.wav"].analysis.error is None


async def test_scan_of_a_subfolder_removes_only_below_it(root: Path) -> None:
    tracks = write_music(root)
    index = MemoryIndex()
    await _scan(root, index)
    for track in tracks:
        (root / track.relative).unlink()

    progress = await scan_directory(root / "sub dir", root=root, roots=[root], index=index, options=OPTIONS)

    assert progress.removed == 2
    assert set(index.by_name(root)) == {t.relative for t in tracks if not t.relative.startswith("sub dir/")}


async def test_a_hung_crashing_or_raising_file_costs_only_itself(root: Path) -> None:
    tracks = write_music(root)
    sample = (root / tracks[0].relative).read_bytes()
    for name in ("hang.wav", "crash.wav", "raise.wav"):
        (root / name).write_bytes(sample)
    options = ScanOptions(workers=2, file_timeout_sec=3, analyse=hang_or_crash, initializer=no_warm_up)
    index = MemoryIndex()

    started = time.monotonic()
    progress = await _scan(root, index, options)

    assert time.monotonic() - started < 30
    errors = {name: row.analysis.error for name, row in index.by_name(root).items()}
    assert errors["hang.wav"] == "analysis timed out after 3 s"
    assert errors["crash.wav"] == "the analysis process crashed on this file"
    assert errors["raise.wav"] == "analysis raised ValueError: decoder bug"
    assert all(errors[t.relative] is None for t in tracks)  # the files beside them were not blamed
    assert (progress.tracks_analyzed, progress.failed) == (len(tracks), 3)


async def test_cancelling_a_scan_kills_its_workers(root: Path) -> None:
    (root / "hang.wav").write_bytes(b"x")
    options = ScanOptions(workers=1, file_timeout_sec=600, analyse=hang_or_crash, initializer=no_warm_up)
    task = asyncio.create_task(_scan(root, MemoryIndex(), options))
    pid_file = root / "hang.pid"
    for _ in range(300):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_pool_reports_the_file_each_worker_starts() -> None:
    started: list[str] = []
    async with AnalysisPool(1, 10, analyse=hang_or_crash, initializer=no_warm_up) as pool:
        results = [item async for item in pool.run(["/nonexistent/a.wav"], on_start=started.append)]
    assert started == ["/nonexistent/a.wav"]
    assert results[0][1].error is not None
    assert "not a file" in results[0][1].error


def test_eta_follows_the_analysis_rate() -> None:
    progress = ScanProgress(files_to_analyse=10, tracks_analyzed=2, failed=2, analysis_started=100.0)
    assert eta_sec(progress, now=104.0) == pytest.approx(6.0)
    assert eta_sec(ScanProgress(files_to_analyse=10)) is None
