"""Renders to audio files, a bounded number at once.

A 4-hour session takes minutes of a core to encode as MP3; without a bound, a few requests (or one
impatient listener clicking again) would take every core from the live sessions. `RenderSlots`
admits NEUROTUNE_RENDER_CONCURRENCY renders at a time; one more is refused at once with
`RendersBusy` (the API answers 503 with Retry-After), never queued where it would hold a connection.
A slot is held until the render's last chunk is sent or its listener goes away.
"""

import threading
from collections.abc import Iterator

from backend.audio_render.encode import FormatName, encoded
from backend.audio_render.synth import RenderSettings
from backend.schedules.schedule import ModulationSchedule

RETRY_AFTER_SEC = 30


class RendersBusy(Exception):
    """Every render slot is taken."""


class RenderSlots:
    def __init__(self, slots: int) -> None:
        self._free = threading.BoundedSemaphore(slots)

    def render(
        self, schedule: ModulationSchedule, settings: RenderSettings, name: FormatName
    ) -> "RenderStream":
        """The file's chunks, holding a slot from now until they are all sent or the stream is
        dropped. Raises RendersBusy (no slot) or ScheduleRejected (unsafe) before anything is sent."""
        if not self._free.acquire(blocking=False):
            raise RendersBusy(f"every render slot is busy; try again in {RETRY_AFTER_SEC} s")
        try:
            chunks = encoded(schedule, settings, name)
        except BaseException:
            self._free.release()
            raise
        return RenderStream(chunks, self._free)


class RenderStream(Iterator[bytes]):
    """Chunks that give their slot back once: at the end, on close, or when dropped unread (a
    generator never started would not run its `finally`)."""

    def __init__(self, chunks: Iterator[bytes], slot: threading.BoundedSemaphore) -> None:
        self._chunks = chunks
        self._slot: threading.BoundedSemaphore | None = slot
        self._lock = threading.Lock()

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with self._lock:
            slot, self._slot = self._slot, None
        if slot is not None:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
            slot.release()

    def __del__(self) -> None:
        self.close()
