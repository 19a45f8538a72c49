"""/library over HTTP: scan real and hostile files, list, stream with signed URLs, refuse escapes."""

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.config import Settings
from backend.tests.factories import TestUser, UserFactory
from backend.tests.music import FAILING, REFUSED, write_hostile, write_music


@pytest.fixture
def root(settings: Settings) -> Path:
    directory = settings.library_roots[0]
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


async def _scan(client: httpx.AsyncClient, user: TestUser, **body: Any) -> dict[str, Any]:
    response = await client.post("/library/scan", json={"wait_sec": 30, **body}, headers=user.headers)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "done"
    return job


async def _tracks(client: httpx.AsyncClient, user: TestUser, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/library", params={"include_failed": True, **query}, headers=user.headers)
    assert response.status_code == 200, response.text
    tracks: list[dict[str, Any]] = response.json()
    return tracks


async def test_everything_needs_a_logged_in_user(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/library"),
        ("GET", "/library/roots"),
        ("POST", "/library/scan"),
        ("GET", "/library/scan/0123"),
        ("GET", "/library/scan/0123/events"),
        ("GET", "/library/1/stream"),
        ("GET", "/library/1/stream?exp=9999999999&sig=00000000000000000000000000000000"),
    ]:
        response = await client.request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 401, (method, path, response.text)
        assert "detail" in response.json()


async def test_scan_lists_a_small_folder_for_every_user(
    client: httpx.AsyncClient, users: UserFactory, root: Path, settings: Settings
) -> None:
    tracks = write_music(root)
    alice, bob = await users.create(), await users.create()

    job = await _scan(client, alice)

    assert (job["tracks_found"], job["tracks_analyzed"], job["failed"]) == (4, 4, 0)
    listed = await client.get("/library", params={"order": "bpm"}, headers=bob.headers)  # shared library
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "4"
    by_path = {t["file_path"]: t for t in listed.json()}
    assert set(by_path) == {t.relative for t in tracks}  # relative to the root: no absolute paths
    assert str(root) not in listed.text
    for track in tracks:
        row = by_path[track.relative]
        assert row["bpm"] == pytest.approx(track.bpm, abs=0.5)
        assert row["key_signature"] == track.key
        assert row["error"] is None
        assert row["size_bytes"] == (root / track.relative).stat().st_size
        assert row["stream_url"].startswith(f"/library/{row['id']}/stream?exp=")
        assert isinstance(row["tags"]["beat_offset_sec"], float)
    assert [t["bpm"] for t in listed.json()] == sorted(t["bpm"] for t in listed.json())

    in_range = await client.get("/library", params={"bpm_min": 110, "bpm_max": 150}, headers=bob.headers)
    assert {t["filename"] for t in in_range.json()} == {"Ünïcödé tëst — 120.wav", "track.mp3"}
    assert in_range.headers["X-Total-Count"] == "2"

    roots = await client.get("/library/roots", headers=bob.headers)
    assert roots.json() == [{"index": 0, "path": str(settings.library_roots[0]), "track_count": 4}]


async def test_stream_by_signed_url_or_bearer_with_ranges(
    client: httpx.AsyncClient, users: UserFactory, root: Path
) -> None:
    tracks = write_music(root)
    user = await users.create()
    await _scan(client, user)
    by_format = {t["format"]: t for t in await _tracks(client, user)}
    wav = by_format["wav"]
    content = (root / tracks[0].relative).read_bytes()

    signed = await client.get(wav["stream_url"])  # no Authorization: what an <audio> element does
    assert signed.status_code == 200
    assert signed.headers["content-type"] == "audio/wav"
    assert signed.content == content
    ranged = await client.get(wav["stream_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.content == content[:100]
    bearer = await client.get(f"/library/{wav['id']}/stream", headers=user.headers)
    assert bearer.status_code == 200
    head = await client.head(wav["stream_url"])
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(content))
    assert (await client.get(by_format["mp3"]["stream_url"])).headers["content-type"] == "audio/mpeg"
    assert (await client.get(by_format["ogg"]["stream_url"])).headers["content-type"] == "audio/ogg"

    other_track = wav["stream_url"].replace(f"/library/{wav['id']}/", f"/library/{by_format['mp3']['id']}/")
    expired = f"/library/{wav['id']}/stream?exp={int(time.time()) - 1}&sig={'0' * 32}"
    for forged in (other_track, expired, f"/library/{wav['id']}/stream?exp=abc&sig=xyz"):
        assert (await client.get(forged)).status_code == 401, forged


async def test_stream_refuses_failed_missing_and_escaped_files(
    client: httpx.AsyncClient, users: UserFactory, root: Path, tmp_path: Path
) -> None:
    write_music(root)
    (root / "empty.wav").write_bytes(b"")
    user = await users.create()
    await _scan(client, user)
    tracks = {t["file_path"]: t for t in await _tracks(client, user)}
    assert tracks["empty.wav"]["stream_url"] is None

    def stream(name: str) -> str:
        return f"/library/{tracks[name]['id']}/stream"

    assert (await client.get(stream("empty.wav"), headers=user.headers)).status_code == 404
    (root / "ögg.ogg").unlink()
    assert (await client.get(stream("ögg.ogg"), headers=user.headers)).status_code == 404
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"private")
    escaped = root / "sub dir" / "track.mp3"
    escaped.unlink()
    os.symlink(secret, escaped)  # swapped for a link out of the root after indexing
    response = await client.get(stream("sub dir/track.mp3"), headers=user.headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such track, or it cannot be streamed."}
    assert (await client.get("/library/999999/stream", headers=user.headers)).status_code == 404
    assert (await client.get("/library/0/stream", headers=user.headers)).status_code == 422


async def test_hostile_files_are_recorded_and_the_scan_completes(
    client: httpx.AsyncClient, users: UserFactory, root: Path, tmp_path: Path
) -> None:
    write_music(root)
    write_hostile(root, tmp_path / "outside")
    user = await users.create()

    job = await _scan(client, user)

    assert (job["tracks_found"], job["tracks_analyzed"], job["failed"]) == (4 + len(FAILING), 4, len(FAILING))
    assert job["skipped"] == len(REFUSED)
    assert {e["file"] for e in job["errors"]} == set(FAILING) | set(REFUSED)
    tracks = {t["file_path"]: t for t in await _tracks(client, user)}
    for name in FAILING:
        assert tracks[name]["error"]
        assert str(root) not in tracks[name]["error"]  # decoders quote absolute paths; we never show them
        assert tracks[name]["stream_url"] is None
    assert not [e for e in job["errors"] if str(root) in e["error"]]
    assert "folder.wav" not in tracks
    assert "escape.wav" not in tracks
    default = await client.get("/library", headers=user.headers)
    assert default.headers["X-Total-Count"] == "4"  # failures are listed only on request


async def test_rescan_reanalyses_only_what_changed(
    client: httpx.AsyncClient, users: UserFactory, root: Path
) -> None:
    tracks = write_music(root)
    (root / "broken.wav").write_bytes(b"RIFF....")
    user = await users.create()
    await _scan(client, user)
    before = {t["file_path"]: t["analyzed_at"] for t in await _tracks(client, user)}

    unchanged = await _scan(client, user)
    assert (unchanged["tracks_analyzed"], unchanged["failed"], unchanged["skipped"]) == (0, 0, 5)

    changed = root / tracks[0].relative
    os.utime(changed, ns=(time.time_ns(), changed.stat().st_mtime_ns + 2_000_000_000))
    (root / tracks[3].relative).unlink()
    await asyncio.sleep(1.1)  # MariaDB's DATETIME keeps whole seconds
    rescan = await _scan(client, user)

    assert (rescan["tracks_analyzed"], rescan["skipped"], rescan["removed"]) == (1, 3, 1)
    after = {t["file_path"]: t["analyzed_at"] for t in await _tracks(client, user)}
    assert set(after) == set(before) - {tracks[3].relative}
    assert [p for p in after if after[p] != before[p]] == [tracks[0].relative]


async def test_scan_paths_outside_the_roots_are_refused(
    client: httpx.AsyncClient, users: UserFactory, root: Path, tmp_path: Path
) -> None:
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", root / "escape")
    (root / "file.wav").write_bytes(b"x")
    user = await users.create()
    for path in ("..", "../outside", "/etc", "/", "escape", "sub/../../outside", str(tmp_path)):
        response = await client.post("/library/scan", json={"directory_path": path}, headers=user.headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json() == {"detail": "That directory is outside the library roots."}
    for path, status in (("missing", 404), ("file.wav", 400)):
        response = await client.post("/library/scan", json={"directory_path": path}, headers=user.headers)
        assert response.status_code == status, (path, response.text)
    for body in ({"directory_path": "a\x00b"}, {"directory_path": ""}, {"wait_sec": 31}, {"extra": 1}):
        response = await client.post("/library/scan", json=body, headers=user.headers)
        assert response.status_code == 422, (body, response.text)
    lone_surrogate = b'{"directory_path": "a\\ud800"}'
    response = await client.post(
        "/library/scan", content=lone_surrogate, headers={**user.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text


async def test_a_long_scan_answers_202_and_can_be_followed(
    client: httpx.AsyncClient, users: UserFactory, root: Path
) -> None:
    write_music(root)
    user = await users.create()

    response = await client.post("/library/scan", json={"wait_sec": 0}, headers=user.headers)

    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert response.headers["Location"] == f"/library/scan/{job_id}"
    assert response.json()["status"] in ("queued", "running")
    again = await client.post("/library/scan", json={"wait_sec": 0}, headers=user.headers)
    assert again.json()["job_id"] == job_id  # the same folder joins the running scan
    events = await client.get(f"/library/scan/{job_id}/events", headers=user.headers)
    assert events.headers["content-type"].startswith("text/event-stream")
    assert events.text.rstrip().endswith("}")
    assert '"status":"done"' in events.text.split("event: progress")[-1]
    status = await client.get(f"/library/scan/{job_id}", headers=user.headers)
    assert (status.json()["status"], status.json()["tracks_analyzed"]) == ("done", 4)
    missing = await client.get(f"/library/scan/{'0' * 32}", headers=user.headers)
    assert missing.status_code == 404


async def test_bad_listing_queries_are_422(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    for query in (
        {"bpm_min": 150, "bpm_max": 100},
        {"order": "size"},
        {"order": "-"},
        {"format": "aac"},
        {"key": "Am"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"offset": 1_000_001},
        {"bpm_min": "nan"},
        {"bpm_max": "fast"},
        {"include_failed": "maybe"},
    ):
        response = await client.get("/library", params=query, headers=user.headers)
        assert response.status_code == 422, (query, response.text)
        assert "detail" in response.json()
