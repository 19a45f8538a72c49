"""Rendering to a file from a terminal (`neurotune render`): the format from the file's extension,
a progress bar on stderr, a one-line summary at the end."""

import sys
import time
from pathlib import Path
from typing import TextIO

from backend.audio_render.encode import FORMATS, FormatName, write
from backend.audio_render.synth import RenderSettings
from backend.schedules.schedule import ModulationSchedule

_BAR_WIDTH = 30
_REDRAW_SEC = 0.1
_LOG_STEP_PERCENT = 10


class RenderProgress:
    """A one-line bar redrawn with \\r on a terminal; a line per 10 % otherwise (logs, CI)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tty = out.isatty()
        self._last_draw = 0.0
        self._next_percent = 0
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        elapsed = time.monotonic() - self._started
        left = elapsed * (total - done) / done if done else 0.0
        status = f"{percent:3d}% ~{left:.0f} s left"
        if self._tty:
            now = time.monotonic()
            if now - self._last_draw < _REDRAW_SEC and done < total:
                return
            self._last_draw = now
            filled = _BAR_WIDTH * done // max(total, 1)
            self._out.write(f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {status}")
        elif percent >= self._next_percent:
            self._out.write(f"render: {status}\n")
            self._next_percent = (percent // _LOG_STEP_PERCENT + 1) * _LOG_STEP_PERCENT
        self._out.flush()

    def finish(self) -> None:
        if self._tty:
            self._out.write("\n")
            self._out.flush()


def format_of(path: Path) -> FormatName:
    """The format a file name asks for (.wav, .flac, .ogg/.opus, .mp3); ValueError otherwise."""
    suffix = path.suffix.lower().lstrip(".")
    name = "ogg" if suffix == "opus" else suffix
    if name not in FORMATS:
        raise ValueError(f"{path.name}: unknown audio format; use .wav, .flac, .ogg, .opus or .mp3")
    return name


def render_to_file(
    schedule: ModulationSchedule, settings: RenderSettings, output: Path, err: TextIO = sys.stderr
) -> str:
    """Renders into `output` (written whole or not at all) and returns the summary line."""
    name = format_of(output)
    partial = output.with_name(output.name + ".part")
    bar = RenderProgress(err)
    started = time.monotonic()
    try:
        with partial.open("wb") as sink:
            write(schedule, settings, name, sink, bar)
        partial.replace(output)
    finally:
        bar.finish()
        partial.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    speed = schedule.total_duration_sec / max(seconds, 1e-9)
    return (
        f"{output}: {schedule.total_duration_sec / 60:.1f} min of {name.upper()} "
        f"({output.stat().st_size / 2**20:.1f} MiB) in {seconds:.1f} s, {speed:.0f}x real time"
    )
