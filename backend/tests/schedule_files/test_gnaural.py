"""Gnaural files: every voice's nodes glide to the next, the shortest voice ends the schedule."""

from pathlib import Path

import pytest

from backend.schedule_files.errors import FileRefused
from backend.schedule_files.files import format_of, import_file
from backend.schedule_files.gnaural import import_gnaural

FILES = Path(__file__).parent / "files"


def test_nodes_glide_to_the_next_and_levels_keep_their_balance() -> None:
    imported = import_gnaural((FILES / "glide-nap.gnaural").read_bytes())
    schedule = imported.schedule
    assert schedule.intent == "Glide nap"
    assert schedule.total_duration_sec == 600
    assert [
        (s.timestamp_sec, s.ramp_duration_sec, s.binaural_freq, s.carrier_hz) for s in schedule.steps
    ] == [
        (0.0, 0.0, 10.0, 180.0),
        (1.0, 59.0, 6.0, 160.0),  # node 1 -> node 2 over its 60 s (a step starts a second in)
        (420.0, 120.0, 8.0, 170.0),  # the held node, then node 3 -> 4
        (540.0, 60.0, 10.0, 180.0),  # the last node glides back towards the first
    ]
    assert [s.tone_level for s in schedule.steps] == [0.8333, 1.0, 0.8333, 0.8333]
    assert {s.noise for s in schedule.steps} == {"pink"}
    assert {s.noise_level for s in schedule.steps} == {0.6667}
    assert imported.warnings == ["line 33: rain has no NeuroTune equivalent and is left out"]


def test_the_shortest_voice_ends_the_schedule_and_loops_repeat_it() -> None:
    text = (FILES / "glide-nap.gnaural").read_text().replace('duration="600"', 'duration="300"', 1)
    assert import_gnaural(text.encode()).schedule.total_duration_sec == 300
    looped = (FILES / "glide-nap.gnaural").read_text().replace("<loops>1</loops>", "<loops>2</loops>")
    assert import_gnaural(looped.encode()).schedule.total_duration_sec == 1200


def test_the_format_comes_from_the_name_or_the_content() -> None:
    data = (FILES / "glide-nap.gnaural").read_bytes()
    assert format_of(data, "nap.gnaural") == format_of(data, None) == "gnaural"
    assert format_of(b"a: pink/10\nNOW a\n", None) == "sbg"
    assert import_file(data, "whatever.bin").source_format == "gnaural"


def test_an_entry_out_of_range_is_refused_with_its_line() -> None:
    text = (FILES / "glide-nap.gnaural").read_text().replace('volume_left="0.5"', 'volume_left="5"', 1)
    with pytest.raises(FileRefused) as refused:
        import_gnaural(text.encode())
    assert refused.value.line == 17
    assert "volume_left 5 is outside 0-1" in refused.value.reason
