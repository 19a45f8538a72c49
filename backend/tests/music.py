"""Music folders for the library tests: real tracks with known tempo and key, and hostile files."""

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backend.audio_processor.scanner import KnownFile, ScannedFile
from backend.tests.audio_processor.synthetic_tracks import TrackSpec, write_track

TRACK_SEC = 8.0


@dataclass(frozen=True)
class Track:
    relative: str
    bpm: float
    key: str


def write_music(directory: Path) -> list[Track]:
    """Four real tracks (WAV, FLAC, MP3, Ogg) with odd names, two in a sub-folder."""
    # Seeds chosen so that 8 s suffice for the key (short excerpts can leave a fifth ambiguous).
    plan = [
        ("four_on_floor", 120.0, 9, "minor", 1, "wav", "Ünïcödé tëst — 120.wav"),
        ("syncopated", 100.0, 0, "major", 5, "flac", "sub dir/with  spaces.FLAC"),
        ("half_time", 140.0, 7, "major", 3, "mp3", "sub dir/track.mp3"),
        ("shuffle", 96.0, 2, "minor", 2, "ogg", "ögg.ogg"),
    ]
    tracks = []
    for style, bpm, tonic, mode, seed, fmt, name in plan:
        spec = TrackSpec(style=style, bpm=bpm, tonic=tonic, mode=mode, seed=seed, duration_sec=TRACK_SEC)  # type: ignore[arg-type]
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_track(spec, target.parent, fmt).rename(target)
        tracks.append(Track(name, bpm, spec.key))
    return tracks


# Hostile files that are indexed as failures, each with the reason's telling words.
FAILING = {
    "empty.wav": "empty",
    "truncated.flac": "",
    "random.mp3": "",
    "text.wav": "",
}
# Hostile entries the walk refuses, with the reason's telling words.
REFUSED = {
    "loop_a.wav": "symlink loop",
    "loop_b.wav": "symlink loop",
    "escape.wav": "outside the library roots",
    "escape_dir": "outside the library roots",
    "fifo.wav": "not a regular file",
    "sub dir/ancestor": "already scanned",
}


def write_hostile(directory: Path, outside: Path) -> None:
    """Zero-byte, truncated, random and text files with audio names; a directory named x.wav; a
    symlink loop; symlinks (file and folder) out of the root; a FIFO; an ancestor link."""
    good = outside / "good.wav"
    outside.mkdir(parents=True, exist_ok=True)
    write_track(TrackSpec("four_on_floor", 120.0, 0, "major", seed=9, duration_sec=TRACK_SEC), outside)
    next(outside.glob("*.wav")).rename(good)
    (directory / "sub dir").mkdir(parents=True, exist_ok=True)
    (directory / "empty.wav").write_bytes(b"")
    flac = write_track(
        TrackSpec("ambient", 80.0, 4, "minor", seed=3, duration_sec=TRACK_SEC), directory, "flac"
    )
    (directory / "truncated.flac").write_bytes(flac.read_bytes()[:300])
    flac.unlink()
    (directory / "random.mp3").write_bytes(os.urandom(4096))
    (directory / "text.wav").write_text("this is not audio\n" * 50)
    (directory / "folder.wav").mkdir()
    (directory / "notes.txt").write_text("not music")
    os.symlink(directory / "loop_b.wav", directory / "loop_a.wav")
    os.symlink(directory / "loop_a.wav", directory / "loop_b.wav")
    os.symlink(good, directory / "escape.wav")
    os.symlink(outside, directory / "escape_dir")
    os.mkfifo(directory / "fifo.wav")
    os.symlink(directory, directory / "sub dir" / "ancestor")


class MemoryIndex:
    """A ScanIndex in a dict, counting what the scanner writes."""

    def __init__(self) -> None:
        self.rows: dict[str, ScannedFile] = {}
        self.saved: list[str] = []

    async def known_files(self, directory: Path) -> dict[str, KnownFile]:
        prefix = f"{directory}{os.sep}"
        return {
            path: KnownFile(row.file.size_bytes, row.file.mtime_ns)
            for path, row in self.rows.items()
            if path.startswith(prefix)
        }

    async def save(self, scanned: Sequence[ScannedFile]) -> None:
        for item in scanned:
            self.rows[str(item.file.path)] = item
            self.saved.append(str(item.file.path))

    async def remove(self, paths: Sequence[str]) -> None:
        for path in paths:
            del self.rows[path]

    def by_name(self, root: Path) -> dict[str, ScannedFile]:
        return {Path(path).relative_to(root).as_posix(): row for path, row in self.rows.items()}
