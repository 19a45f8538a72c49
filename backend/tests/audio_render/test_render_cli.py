"""`neurotune render`: a schedule file or a stored session to an audio file, with a progress bar."""

import asyncio
import io
import json
from pathlib import Path

import httpx
import pytest
import soundfile

from backend.audio_render.render_cli import RenderProgress, format_of
from backend.cli import _render, main
from backend.config import Settings
from backend.tests.factories import UserFactory

SCHEDULE = {
    "intent": "cli",
    "total_duration_sec": 60,
    "steps": [
        {
            "timestamp_sec": 0,
            "target_bpm": 80,
            "binaural_freq": 10,
            "ramp_duration_sec": 0,
            "layer": "binaural",
        }
    ],
}


def test_a_schedule_file_renders_in_the_format_its_name_asks_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "plan.json"
    source.write_text(json.dumps(SCHEDULE))
    with pytest.raises(SystemExit) as done:
        main(["render", str(source), "-o", str(tmp_path / "out.flac")])
    assert done.value.code == 0
    audio, rate = soundfile.read(tmp_path / "out.flac")
    assert (len(audio), rate) == (60 * 44_100, 44_100)
    assert "1.0 min of FLAC" in capsys.readouterr().out
    assert not (tmp_path / "out.flac.part").exists()


def test_an_unsafe_schedule_or_an_unknown_format_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "plan.json"
    source.write_text(json.dumps({**SCHEDULE, "total_duration_sec": 20}))
    with pytest.raises(SystemExit) as done:
        main(["render", str(source), "-o", str(tmp_path / "out.wav")])
    assert done.value.code == 1
    assert "total_duration_sec" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [source]
    with pytest.raises(ValueError, match="unknown audio format"):
        format_of(Path("x.aiff"))


async def test_a_stored_session_renders_with_its_listeners_preferences(
    settings: Settings, client: httpx.AsyncClient, users: UserFactory, tmp_path: Path
) -> None:
    user = await users.create(preferences={"volume_max": 0.2})
    session_id = await users.start_session(user, duration_min=5)
    output = tmp_path / "session.wav"
    # The command runs its own event loop, as it does from a terminal: a thread of its own here.
    assert await asyncio.to_thread(_render, settings, None, session_id, str(output)) == 0
    audio, rate = soundfile.read(output)
    assert len(audio) == 300 * rate
    assert abs(audio).max() <= 0.2
    assert await asyncio.to_thread(_render, settings, None, 999_999, str(tmp_path / "none.wav")) == 1


def test_the_progress_bar_logs_every_ten_per_cent_off_a_terminal() -> None:
    out = io.StringIO()
    bar = RenderProgress(out)
    for done in range(0, 101, 5):
        bar(done, 100)
    bar.finish()
    assert out.getvalue().count("render:") == 11
