"""Scan jobs: run in the background, one at a time, joined per folder, cancelled at shutdown."""

import asyncio
from pathlib import Path

import pytest

from backend.audio_processor.scanner import KnownFile, ScanOptions
from backend.library import scan_jobs
from backend.library.roots import LibraryRoots
from backend.library.scan_jobs import ClusterScanJobs, ScanJobs, ScanRunning
from backend.tests.audio_processor.hostile_analysis import hang_or_crash, no_warm_up
from backend.tests.music import MemoryIndex, write_music

OPTIONS = ScanOptions(workers=2, file_timeout_sec=30, analyse=hang_or_crash, initializer=no_warm_up)


def _jobs(
    root: Path, options: ScanOptions = OPTIONS, keep_finished: int = 20
) -> tuple[ScanJobs, LibraryRoots]:
    roots = LibraryRoots([root])
    return ScanJobs(roots=roots, index=MemoryIndex(), options=options, keep_finished=keep_finished), roots


async def test_a_job_reports_progress_and_its_result(tmp_path: Path) -> None:
    tracks = write_music(tmp_path)
    (tmp_path / "broken.wav").write_bytes(b"RIFF")
    jobs, roots = _jobs(tmp_path)
    try:
        job_id = await jobs.start(roots.resolve_directory(None))
        first = await jobs.snapshot(job_id)
        assert first is not None
        assert first.status in ("queued", "running")
        assert first.finished_at is None

        done = await jobs.wait(job_id, 30)
    finally:
        await jobs.close()

    assert done is not None
    assert done.status == "done"
    assert (done.tracks_found, done.tracks_analyzed, done.failed) == (len(tracks) + 1, len(tracks), 1)
    assert done.files_done == done.files_total == len(tracks) + 1
    assert [e.file for e in done.errors] == ["broken.wav"]
    assert done.directory == "."
    assert done.current_file is None
    assert done.eta_sec is None
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.elapsed_sec > 0


async def test_same_folder_joins_and_others_queue(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "hang.wav").write_bytes(b"x")
    jobs, roots = _jobs(tmp_path)
    try:
        first = await jobs.start(roots.resolve_directory("a"))
        assert await jobs.start(roots.resolve_directory("a/")) == first
        second = await jobs.start(roots.resolve_directory("b"))
        assert second != first
        running = await jobs.wait(first, 1.0)
        queued = await jobs.snapshot(second)
        assert running is not None
        assert running.status == "running"
        assert running.current_file == "a/hang.wav"
        assert queued is not None
        assert (queued.status, queued.started_at) == ("queued", None)
    finally:
        await jobs.close()
    cancelled = await jobs.snapshot(first)
    assert cancelled is not None
    assert cancelled.status == "failed"
    assert "cancelled" in cancelled.errors[-1].error


async def test_updates_stream_until_the_end(tmp_path: Path) -> None:
    write_music(tmp_path)
    jobs, roots = _jobs(tmp_path)
    try:
        job_id = await jobs.start(roots.resolve_directory(None))
        seen = [job async for job in jobs.updates(job_id, interval_sec=0.05)]
    finally:
        await jobs.close()
    assert seen[-1].status == "done"
    assert len(seen) >= 2


async def test_finished_jobs_are_forgotten_beyond_the_limit(tmp_path: Path) -> None:
    jobs, roots = _jobs(tmp_path, keep_finished=2)
    ids = []
    try:
        for name in "abcd":
            (tmp_path / name).mkdir()
            ids.append(await jobs.start(roots.resolve_directory(name)))
            await jobs.wait(ids[-1], 10)
        await jobs.start(roots.resolve_directory(None))
        await asyncio.sleep(0)
    finally:
        await jobs.close()
    assert [await jobs.snapshot(i) is None for i in ids] == [True, True, False, False]


async def test_a_failing_index_fails_the_job_not_the_server(tmp_path: Path) -> None:
    class BrokenIndex(MemoryIndex):
        async def known_files(self, directory: Path) -> dict[str, KnownFile]:
            raise ConnectionError("database went away")

    roots = LibraryRoots([tmp_path])
    jobs = ScanJobs(roots=roots, index=BrokenIndex(), options=OPTIONS)
    try:
        job = await jobs.wait(await jobs.start(roots.resolve_directory(None)), 10)
    finally:
        await jobs.close()
    assert job is not None
    assert job.status == "failed"
    assert job.errors[-1].error == "scan failed: database went away"


async def test_the_queue_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_jobs, "MAX_ACTIVE_JOBS", 2)
    for name in "abc":
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "hang.wav").write_bytes(b"x")
    jobs, roots = _jobs(tmp_path)
    try:
        await jobs.start(roots.resolve_directory("a"))
        await jobs.start(roots.resolve_directory("b"))
        with pytest.raises(scan_jobs.TooManyScans):
            await jobs.start(roots.resolve_directory("c"))
    finally:
        await jobs.close()


async def test_workers_sharing_redis_scan_one_folder_at_a_time(tmp_path: Path, redis_prefix: str) -> None:
    """Two workers (two registries on one Redis): while a scan runs on one, the other refuses
    another folder (ScanRunning, naming the running job), joins the same folder, and reads the
    running job's progress; once it ends, the other may scan."""
    from backend.db.redis_state import connect_redis
    from backend.tests.conftest import redis_url

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "hang.wav").write_bytes(b"x")
    write_music(tmp_path / "b")
    roots = LibraryRoots([tmp_path])
    redis_one, redis_two = connect_redis(redis_url(), redis_prefix), connect_redis(redis_url(), redis_prefix)
    one = ClusterScanJobs(redis_one, roots=roots, index=MemoryIndex(), options=OPTIONS)
    two = ClusterScanJobs(redis_two, roots=roots, index=MemoryIndex(), options=OPTIONS)
    try:
        hanging = await one.start(roots.resolve_directory("a"))
        assert (await one.wait(hanging, 1.0) or pytest.fail("job gone")).status == "running"

        with pytest.raises(ScanRunning) as refused:
            await two.start(roots.resolve_directory("b"))
        assert refused.value.running is not None
        assert (refused.value.running.job_id, refused.value.running.directory) == (hanging, "a")
        assert await two.start(roots.resolve_directory("a")) == hanging  # the same folder joins it
        seen_elsewhere = await two.wait(hanging, 0.6)
        assert seen_elsewhere is not None
        assert (seen_elsewhere.status, seen_elsewhere.current_file) == ("running", "a/hang.wav")

        await one.close()  # the hanging scan is cancelled: the cluster's lease is released
        ended = await two.snapshot(hanging)
        assert ended is not None
        assert ended.status == "failed"

        other = await two.start(roots.resolve_directory("b"))
        done = await two.wait(other, 30)
        assert done is not None
        assert done.status == "done"
        assert done.tracks_analyzed > 0
        assert await one.snapshot(other) is not None  # readable from the other worker too
    finally:
        await one.close()
        await two.close()
        await redis_one.close()
        await redis_two.close()
