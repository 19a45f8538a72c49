"""One entry point for an uploaded file: which format it is (its name, else its first bytes) and
the schedule it holds."""

from dataclasses import dataclass
from typing import Literal

from backend.schedule_files.errors import FileRefused
from backend.schedule_files.gnaural import import_gnaural
from backend.schedule_files.sbg import import_sbg
from backend.schedules.schedule import ModulationSchedule

SourceFormat = Literal["sbg", "gnaural"]


@dataclass(frozen=True)
class Imported:
    schedule: ModulationSchedule
    warnings: list[str]
    source_format: SourceFormat


def format_of(data: bytes, filename: str | None) -> SourceFormat:
    name = (filename or "").lower()
    if name.endswith(".sbg"):
        return "sbg"
    if name.endswith((".gnaural", ".xml")):
        return "gnaural"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "gnaural"
    return "sbg"


def import_file(data: bytes, filename: str | None = None, clamp: bool = False) -> Imported:
    """The schedule in an SBaGen or Gnaural file, safe, with what was approximated; FileRefused
    (with the line) when it cannot be read or made safe."""
    if not data.strip():
        raise FileRefused("the file is empty")
    title = (filename or "").rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").strip() or None
    source = format_of(data, filename)
    converted = (import_gnaural if source == "gnaural" else import_sbg)(data, clamp=clamp, title=title)
    return Imported(converted.schedule, converted.warnings, source)
