"""The hold contract: what someone else (the language model) may write for a session's middle part.

The planner frames a written hold (arrival, glides, return); `HoldBounds` says what a hold may
contain for one request, and the model engine turns it into a grammar so a model can only write
on-band holds. `PlannerOffsets` are what a listener's ratings taught, applied to the planner's own
hold.
"""

import math
from dataclasses import dataclass

from backend.schedules.schedule import Layer

MAX_WRITTEN_SEGMENTS = 5
"""A written hold has at most this many parts: each costs model time, and more add little."""


@dataclass(frozen=True)
class PlannerOffsets:
    """Per-user nudges learned from ratings, applied to the hold and clamped to the family band."""

    beat_hz: float = 0.0
    bpm: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beat_hz) and math.isfinite(self.bpm)):
            raise ValueError(f"offsets must be finite numbers, got {self}")


@dataclass(frozen=True)
class HoldSegment:
    """One part of a hold written by someone else (the language model): a level kept for a while."""

    beat_hz: float
    bpm: int
    layer: Layer
    minutes: int


@dataclass(frozen=True)
class HoldBounds:
    """What a written hold may contain for one request: the band after neurotype, layers, length.

    The model engine turns these into a grammar, so that a model can only write on-band holds.
    """

    family: str
    beat_hz: tuple[float, float]
    bpm: tuple[int, int]
    layers: tuple[Layer, ...]
    hold_start_sec: int
    hold_end_sec: int
    max_segments: int

    @property
    def hold_min(self) -> int:
        return max(self.hold_end_sec - self.hold_start_sec, 60) // 60

    def admits(self, segment: HoldSegment) -> bool:
        """True if `segment` lies in the band and uses an allowed layer (the grammar's promise)."""
        return (
            self.beat_hz[0] <= segment.beat_hz <= self.beat_hz[1]
            and self.bpm[0] <= segment.bpm <= self.bpm[1]
            and segment.layer in self.layers
            and 1 <= segment.minutes <= self.hold_min
        )
