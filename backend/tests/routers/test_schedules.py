"""/schedules and /sessions/{id}/render, /export.sbg: render, import, export and start, over HTTP."""

import asyncio
import io
import struct
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile

from backend.tests.audio_render.analysis import fft_peak_hz
from backend.tests.factories import UserFactory
from backend.tests.live_server import LiveServer

FILES = Path(__file__).parent.parent / "schedule_files" / "files"

STEPS: list[dict[str, Any]] = [
    {"timestamp_sec": 0, "target_bpm": 80, "binaural_freq": 10, "ramp_duration_sec": 0, "layer": "binaural"},
    {
        "timestamp_sec": 30,
        "target_bpm": 80,
        "binaural_freq": 8,
        "ramp_duration_sec": 10,
        "layer": "binaural",
        "noise": "pink",
    },
]
SCHEDULE = {"intent": "focus", "total_duration_sec": 60, "steps": STEPS}


async def test_a_schedule_renders_as_a_streamed_wav_with_your_preferences(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create(preferences={"carrier_hz": 300, "volume_max": 0.4})
    response = await client.post("/schedules/render?format=wav", json=SCHEDULE, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["content-disposition"] == 'attachment; filename="neurotune-focus.wav"'
    body = response.content
    assert body[:4] == b"RIFF"
    assert struct.unpack("<I", body[40:44])[0] == 60 * 44_100 * 4
    audio, rate = soundfile.read(io.BytesIO(body))
    window = audio[10 * rate : 12 * rate]
    assert abs(fft_peak_hz(window[:, 0], rate, 100, 600) - 295) < 0.5
    assert abs(fft_peak_hz(window[:, 1], rate, 100, 600) - 305) < 0.5
    assert np.abs(audio).max() <= 0.4


async def test_every_format_decodes(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    for name, rate in (("flac", 44_100), ("ogg", 48_000), ("mp3", 44_100)):
        response = await client.post(f"/schedules/render?format={name}", json=SCHEDULE, headers=user.headers)
        assert response.status_code == 200, (name, response.text)
        audio, read_rate = soundfile.read(io.BytesIO(response.content))
        assert read_rate == rate
        assert abs(len(audio) / rate - 60) < 0.1


async def test_an_unsafe_or_malformed_schedule_is_refused_with_reasons(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    fast = {**SCHEDULE, "steps": [STEPS[0], {**STEPS[1], "binaural_freq": 25}]}
    response = await client.post("/schedules/render", json=fast, headers=user.headers)
    assert response.status_code == 422
    assert "at most 0.2 Hz/s" in response.json()["detail"][0]["msg"]
    text_number = {**SCHEDULE, "total_duration_sec": "60"}
    assert (await client.post("/schedules/render", json=text_number, headers=user.headers)).status_code == 422
    assert (await client.post("/schedules/render", json=SCHEDULE)).status_code == 401


async def test_a_session_renders_and_exports_for_its_owner_only(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    owner, other = await users.create(), await users.create()
    session_id = await users.start_session(owner, duration_min=5)
    rendered = await client.get(f"/sessions/{session_id}/render?format=flac", headers=owner.headers)
    assert rendered.status_code == 200
    audio, rate = soundfile.read(io.BytesIO(rendered.content))
    assert len(audio) == 300 * rate
    assert (await client.get(f"/sessions/{session_id}/render", headers=other.headers)).status_code == 404
    assert (await client.get(f"/sessions/{session_id}/export.sbg", headers=other.headers)).status_code == 404

    exported = await client.get(f"/sessions/{session_id}/export.sbg", headers=owner.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/plain; charset=utf-8"
    imported = await client.post(
        "/schedules/import", files={"file": ("back.sbg", exported.content)}, headers=owner.headers
    )
    assert imported.status_code == 200, imported.text
    session = (await client.get(f"/sessions/{session_id}", headers=owner.headers)).json()
    assert imported.json()["schedule"] == session["schedule"]


async def test_import_answers_the_schedule_and_what_was_approximated(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    for name, source in (("pulse-focus.sbg", "sbg"), ("glide-nap.gnaural", "gnaural")):
        response = await client.post(
            "/schedules/import", files={"file": (name, (FILES / name).read_bytes())}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["source_format"] == source
        assert body["warnings"]
        assert body["schedule"]["steps"][0]["timestamp_sec"] == 0


async def test_hostile_files_get_a_4xx_with_the_line(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()

    async def upload(data: bytes, name: str = "x.sbg", query: str = "") -> httpx.Response:
        return await client.post(
            f"/schedules/import{query}", files={"file": (name, data)}, headers=user.headers
        )

    cycle = await upload(b"x: {\n +00:00 y\n}\ny: {\n +00:00 x\n}\nNOW x\n")
    assert cycle.status_code == 422
    assert cycle.json()["detail"] == [
        {
            "loc": ["body", "file", 7],
            "msg": "line 7: block 'x' refers to itself (x -> y -> x)",
            "type": "file_refused",
        }
    ]
    binary = await upload(bytes(range(256)) * 100)
    assert (binary.status_code, binary.json()["detail"][0]["loc"]) == (422, ["body", "file", 1])
    # Above the JSON body limit (64 KiB) yet under the upload's own: read, not refused unread.
    padded = b"# a long note\n" * 12_000 + b"-SE\nf: pink/20 200+10/20\nNOW f\n"
    assert 64 * 1024 < len(padded) < 256 * 1024
    assert (await upload(padded)).status_code == 200
    assert (await upload(b"0" * 300_000)).status_code == 413
    assert (await upload(b"x" * 10_000_000)).status_code == 413
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE s [<!ENTITY a "aaaa">]>\n<schedule>&a;</schedule>'
    assert (await upload(bomb, "bomb.gnaural")).status_code == 422
    fast = b"-SE\nf: pink/20 200-45/20\n00:00 f\n00:10 f\n"
    assert (await upload(fast)).json()["detail"][0]["loc"] == ["body", "file", 3]
    clamped = await upload(fast, query="?clamp=true")
    assert clamped.status_code == 200
    assert any("45 -> 30" in warning for warning in clamped.json()["warnings"])


async def test_an_imported_schedule_starts_a_session_that_plays_it_exactly(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    imported = await client.post(
        "/schedules/import",
        files={"file": ("wind-down.sbg", (FILES / "evening-wind-down.sbg").read_bytes())},
        headers=user.headers,
    )
    schedule = imported.json()["schedule"]
    started = await client.post("/schedules/start", json=schedule, headers=user.headers)
    assert started.status_code == 201, started.text
    assert started.json()["schedule"] == schedule
    stored = await client.get(f"/sessions/{started.json()['session_id']}", headers=user.headers)
    assert stored.json()["schedule"] == schedule
    preset = await client.post(
        "/presets",
        json={"name": "wind down", "session_id": started.json()["session_id"]},
        headers=user.headers,
    )
    assert preset.status_code == 201


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the database is not the point
async def test_renders_beyond_the_slots_get_503_until_one_is_done(live_server: LiveServer) -> None:
    """One slot (the default): a second render while a 4-hour one streams is refused with
    Retry-After; once that listener hangs up, the slot is free again."""
    user = await UserFactory(live_server.http).create()
    long_session = {**SCHEDULE, "total_duration_sec": 4 * 3600}
    async with live_server.http.stream(
        "POST", "/schedules/render?format=wav", json=long_session, headers=user.headers
    ) as streaming:
        assert streaming.status_code == 200
        first_chunk = await anext(streaming.aiter_bytes())
        assert first_chunk[:4] == b"RIFF"
        refused = await live_server.http.post(
            "/schedules/render?format=wav", json=SCHEDULE, headers=user.headers
        )
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) > 0
        assert "render" in refused.json()["detail"]
    for _ in range(100):  # the server notices the hang-up at its next write
        again = await live_server.http.post(
            "/schedules/render?format=wav", json=SCHEDULE, headers=user.headers
        )
        if again.status_code != 503:
            break
        await asyncio.sleep(0.1)
    assert again.status_code == 200
