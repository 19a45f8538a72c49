"""`neurotune scan DIR`: the server's scanner from a terminal, with a progress bar and a summary.

DIR is taken relative to the current directory (as a shell user expects) and must lie inside a
library root, exactly as for the API.
"""

import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from backend.audio_processor.scanner import ScanProgress, eta_sec, scan_directory
from backend.config import Settings
from backend.db.database import create_engine, create_session_factory
from backend.db.migrate import upgrade_engine
from backend.library.catalog import LibraryIndex
from backend.library.roots import LibraryDirectory, LibraryPathError, LibraryRoots
from backend.library.scan_jobs import scan_options

_BAR_WIDTH = 30
_REDRAW_SEC = 0.1
_LOG_STEP_PERCENT = 5


class ProgressBar:
    """A one-line bar redrawn with \\r on a terminal; a line per 5 % otherwise (logs, CI)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tty = out.isatty()
        self._last_draw = 0.0
        self._next_percent = 0

    def update(self, progress: ScanProgress) -> None:
        total = progress.files_total
        if not total:
            return
        percent = 100 * progress.files_done // total
        eta = eta_sec(progress)
        status = f"{progress.files_done}/{total} files" + (f", ~{eta:.0f} s left" if eta else "")
        if self._tty:
            now = time.monotonic()
            if now - self._last_draw < _REDRAW_SEC and progress.files_done < total:
                return
            self._last_draw = now
            filled = _BAR_WIDTH * progress.files_done // total
            current = progress.current_file or ""
            line = f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {percent:3d}% {status} {current}"
            self._out.write(line[:160].ljust(160))
        elif percent >= self._next_percent:
            self._out.write(f"scan: {percent:3d}% {status}\n")
            self._next_percent = (percent // _LOG_STEP_PERCENT + 1) * _LOG_STEP_PERCENT
        self._out.flush()

    def finish(self) -> None:
        if self._tty:
            self._out.write("\n")
            self._out.flush()


def _summary(progress: ScanProgress, seconds: float) -> str:
    columns = ("found", "analysed", "skipped", "failed", "removed", "seconds")
    values = (
        str(progress.tracks_found),
        str(progress.tracks_analyzed),
        str(progress.skipped),
        str(progress.failed),
        str(progress.removed),
        f"{seconds:.1f}",
    )
    widths = [max(len(c), len(v)) for c, v in zip(columns, values, strict=True)]
    header = "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))
    row = "  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True))
    return f"{header}\n{row}"


async def _scan(
    settings: Settings, roots: LibraryRoots, target: LibraryDirectory, err: TextIO
) -> ScanProgress:
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_engine(engine)
        bar = ProgressBar(err)
        progress = await scan_directory(
            target.path,
            root=target.root,
            roots=roots.real,
            index=LibraryIndex(create_session_factory(engine)),
            options=scan_options(settings),
            on_progress=bar.update,
        )
        bar.finish()
        return progress
    finally:
        await engine.dispose()


def scan_command(
    settings: Settings, directory: str, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Scan `directory` into the index; returns the exit status (2: refused path)."""
    roots = LibraryRoots(settings.library_roots)
    try:
        target = roots.resolve_directory(Path(directory).absolute())
    except LibraryPathError as error:
        err.write(f"neurotune scan: {directory}: {error}\n")
        return 2
    started = time.monotonic()
    progress = asyncio.run(_scan(settings, roots, target, err))
    for problem in progress.errors:
        err.write(f"  {problem.file}: {problem.error}\n")
    out.write(_summary(progress, time.monotonic() - started) + "\n")
    return 0
