"""Walk a library directory and bring its index up to date: the incremental scan.

- Files: wav, flac, mp3, ogg, opus (extension, any case), regular files only (a FIFO named
  `x.wav` would block a reader forever). A directory named `x.wav` is a directory.
- Symlinks are followed only while their real target stays inside a library root; links that
  leave the roots, dangle or loop are skipped with a reason, never followed twice.
- Unchanged files (same size and mtime_ns as indexed) are skipped, failed ones included, so a
  broken file is tried again only when it changes. New and changed files are analysed in an
  `AnalysisPool`; files indexed under the directory that are gone are removed.
- Results are written in batches through a `ScanIndex`, so the scanner knows no database and no HTTP.
"""

import asyncio
import errno
import os
import stat
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from backend.audio_processor.analysis_pool import Analyse, AnalysisPool
from backend.audio_processor.analyzer import TrackAnalysis, analyze_file, warm_up

AUDIO_FORMATS = ("wav", "flac", "mp3", "ogg", "opus")
MAX_PATH_CHARS = 512  # library.file_path
MAX_ERROR_CHARS = 500  # library.error
KEPT_ERRORS = 100


@dataclass(frozen=True)
class KnownFile:
    """What the index remembers of a file: enough to tell whether it changed."""

    size_bytes: int | None
    mtime_ns: int | None


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute, as walked (under the root, possibly through in-root symlinks)
    format: str
    size_bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class ScannedFile:
    """One analysed file, ready to be stored; `analysis.error` says why it failed, if it did."""

    file: FoundFile
    analysis: TrackAnalysis


class ScanIndex(Protocol):
    """Where the scanner reads what is indexed and writes what it found (the library table)."""

    async def known_files(self, directory: Path) -> dict[str, KnownFile]:
        """Every indexed file below `directory`, by absolute path."""
        ...

    async def save(self, scanned: Sequence[ScannedFile]) -> None: ...

    async def remove(self, paths: Sequence[str]) -> None: ...


class ScanError(BaseModel):
    file: str = Field(description="Relative to the library root.")
    error: str


class ScanProgress(BaseModel):
    """A scan's running totals, as the API reports them (`ScanJob` adds the job around them)."""

    # Every field is always in an answer, defaults or not: say so in the API document.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    tracks_found: int = 0
    tracks_analyzed: int = Field(
        default=0, description="Analysed successfully in this scan (new or changed files)."
    )
    skipped: int = Field(default=0, description="Unchanged since the last scan, or refused (see errors).")
    failed: int = 0
    removed: int = 0
    files_done: int = 0
    files_total: int | None = Field(default=None, description="Null until the directory walk has finished.")
    current_file: str | None = None
    errors: list[ScanError] = Field(default_factory=list, description="The last 100 problems.")
    analysis_started: float | None = Field(default=None, exclude=True)
    """Monotonic time the first file went to a worker (for the ETA; not reported)."""
    files_to_analyse: int = Field(default=0, exclude=True)

    def note_error(self, file: str, reason: str) -> None:
        self.errors.append(ScanError(file=file, error=reason))
        del self.errors[:-KEPT_ERRORS]


@dataclass(frozen=True)
class ScanOptions:
    workers: int
    file_timeout_sec: float
    batch_size: int = 500
    analyse: Analyse = analyze_file  # injectable: must be a picklable module-level function
    initializer: Callable[[], None] | None = warm_up


@dataclass
class WalkResult:
    files: list[FoundFile] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)
    unreadable_dirs: list[Path] = field(default_factory=list)  # their indexed files are kept


def walk(directory: Path, roots: Sequence[Path]) -> WalkResult:
    """Every audio file below `directory` (a real path), following only in-root symlinks.

    `roots` are the real library roots. Never raises for what it finds: problems are `skipped`.
    """
    result = WalkResult()
    try:
        start = directory.stat()
    except OSError as error:
        result.unreadable_dirs.append(directory)
        result.skipped.append((directory, _os_reason(error)))
        return result
    visited = {(start.st_dev, start.st_ino)}
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as error:
            result.unreadable_dirs.append(current)
            result.skipped.append((current, f"cannot list directory: {_os_reason(error)}"))
            continue
        for entry in listed:
            path = Path(entry.path)
            try:
                info = entry.stat(follow_symlinks=True)
                if entry.is_symlink() and not _inside(Path(os.path.realpath(path)), roots):
                    result.skipped.append((path, "symlink leads outside the library roots"))
                    continue
            except OSError as error:
                result.skipped.append((path, _os_reason(error)))
                continue
            if stat.S_ISDIR(info.st_mode):
                if (info.st_dev, info.st_ino) in visited:
                    result.skipped.append((path, "directory already scanned (symlink loop or alias)"))
                else:
                    visited.add((info.st_dev, info.st_ino))
                    pending.append(path)
                continue
            extension = path.suffix[1:].lower()
            if extension not in AUDIO_FORMATS:
                continue
            reason = _unusable_file_reason(path, info.st_mode)
            if reason:
                result.skipped.append((path, reason))
                continue
            result.files.append(FoundFile(path, extension, info.st_size, info.st_mtime_ns))
    return result


def _inside(real: Path, roots: Sequence[Path]) -> bool:
    return any(real == root or real.is_relative_to(root) for root in roots)


def _unusable_file_reason(path: Path, mode: int) -> str | None:
    if not stat.S_ISREG(mode):
        return "not a regular file"
    text = str(path)
    if len(text) > MAX_PATH_CHARS:
        return f"path longer than {MAX_PATH_CHARS} characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name surface as lone surrogates
        return "file name is not valid UTF-8"
    # They sort below the space MySQL pads with, which would hide the file from prefix ranges.
    if any(ord(char) < 0x20 or char == "\x7f" for char in text):
        return "file name contains control characters"
    return None


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symlink loop"
    if error.errno == errno.ENOENT:
        return "broken symlink (target missing)"
    return error.strerror or type(error).__name__


def _relative(path: Path, directory: Path) -> str:
    # Surrogate-escaped bytes would not survive JSON: show them replaced.
    text = path.relative_to(directory).as_posix() if path.is_relative_to(directory) else path.name
    return text.encode("utf-8", "replace").decode("utf-8")


async def scan_directory(
    directory: Path,
    *,
    root: Path,
    roots: Sequence[Path],
    index: ScanIndex,
    options: ScanOptions,
    progress: ScanProgress | None = None,
    on_progress: Callable[[ScanProgress], Awaitable[None] | None] | None = None,
) -> ScanProgress:
    """Bring the index of `directory` (real path, inside `root`) up to date; returns the totals.

    `progress` is updated in place as the scan goes (and `on_progress` called), so a caller may
    read it at any time. Paths in progress and errors are relative to `root`.
    """
    progress = progress if progress is not None else ScanProgress()

    async def report() -> None:
        if on_progress is not None:
            maybe = on_progress(progress)
            if maybe is not None:
                await maybe

    walked = await asyncio.to_thread(walk, directory, roots)
    for path, reason in walked.skipped:
        progress.skipped += 1
        progress.note_error(_relative(path, root), reason)
    progress.tracks_found = len(walked.files)
    progress.files_total = len(walked.files)

    known = await index.known_files(directory)
    found = {str(f.path) for f in walked.files}
    kept_dirs = [f"{d}{os.sep}" for d in walked.unreadable_dirs]
    vanished = [p for p in known if p not in found and not p.startswith(tuple(kept_dirs))]
    if vanished:
        await index.remove(vanished)
        progress.removed = len(vanished)

    to_analyse: list[FoundFile] = []
    for file in walked.files:
        seen = known.get(str(file.path))
        if seen is not None and (seen.size_bytes, seen.mtime_ns) == (file.size_bytes, file.mtime_ns):
            progress.skipped += 1
            progress.files_done += 1
        else:
            to_analyse.append(file)
    progress.files_to_analyse = len(to_analyse)
    await report()
    if to_analyse:
        await _analyse_all(to_analyse, root, index, options, progress, report)
    progress.current_file = None
    await report()
    return progress


async def _analyse_all(
    files: list[FoundFile],
    root: Path,
    index: ScanIndex,
    options: ScanOptions,
    progress: ScanProgress,
    report: Callable[[], Awaitable[None]],
) -> None:
    by_path = {str(f.path): f for f in files}
    batch: list[ScannedFile] = []

    def started(path: str) -> None:
        progress.current_file = _relative(Path(path), root)

    workers = min(options.workers, len(files))
    async with AnalysisPool(
        workers, options.file_timeout_sec, analyse=options.analyse, initializer=options.initializer
    ) as pool:
        progress.analysis_started = time.monotonic()
        async for path, analysis in pool.run(by_path, on_start=started):
            if analysis.error is not None:
                relative = _relative(Path(path), root)
                analysis = _trimmed(analysis, path, relative)
                progress.failed += 1
                progress.note_error(relative, analysis.error or "")
            else:
                progress.tracks_analyzed += 1
            progress.files_done += 1
            batch.append(ScannedFile(by_path[path], analysis))
            if len(batch) >= options.batch_size:
                await index.save(batch)
                batch = []
            await report()
    if batch:
        await index.save(batch)


def _trimmed(analysis: TrackAnalysis, path: str, relative: str) -> TrackAnalysis:
    """The error as users may see it: decoders quote the absolute path, which the API never shows."""
    error = (analysis.error or "unknown error").replace(path, relative)
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    return TrackAnalysis(duration_sec=analysis.duration_sec, error=error)


def eta_sec(progress: ScanProgress, now: float | None = None) -> float | None:
    """Seconds left, from the analysis rate so far; None until there is a rate to go by."""
    done = progress.tracks_analyzed + progress.failed
    remaining = progress.files_to_analyse - done
    if progress.analysis_started is None or done == 0:
        return None
    if remaining <= 0:
        return 0.0
    elapsed = (time.monotonic() if now is None else now) - progress.analysis_started
    return round(elapsed / done * remaining, 1)
