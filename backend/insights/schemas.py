"""The response of GET /insights/me: recommendations, the evidence behind them, data for plots.

Everything here describes the caller's own sessions, except recommendations and cluster ratings
drawn from other listeners, which appear only as aggregates over at least `MIN_PEER_USERS` people.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.schedules.schedule import Layer, NoiseColour


class Range(BaseModel):
    low: float
    high: float


class Setting(BaseModel):
    beat_hz: float
    bpm: float


class RatingStats(BaseModel):
    n_sessions: int
    mean_rating: float | None = Field(description="None without sessions.")


class LevelEvidenceOut(BaseModel):
    level: Literal["user", "neurotype", "everyone"]
    n_sessions: int
    n_users: int
    weight: float = Field(description="n/(n+k): this level's share against the levels above it.")
    preferred: Setting = Field(description="This level's own estimate, before combining.")


class ClusterInsight(BaseModel):
    """A group of similar-sounding sessions, and how they were rated."""

    beat_hz: float = Field(description="Mean hold beat of the cluster's sessions.")
    bpm: float
    layer: Layer = Field(description="The layer playing most of the time.")
    noise: NoiseColour
    ramp_hz_per_sec: float = Field(description="Mean glide speed: the ramp style.")
    you: RatingStats
    neurotype: RatingStats | None = Field(
        description="Other listeners of your neurotype; None unless at least 3 of them are in it."
    )
    everyone: RatingStats | None = Field(description="All other listeners; None unless at least 3 are in it.")


class FamilyInsights(BaseModel):
    family: str
    band: dict[Literal["beat_hz", "bpm"], Range] = Field(description="Where the planner's hold may go.")
    recommended: Setting = Field(description="The hold the planner aims for you (band centre + offsets).")
    offsets: Setting = Field(description="Relative to the band centre, as the planner takes them.")
    confidence: float = Field(ge=0, le=1)
    source: Literal["user", "neurotype", "everyone", "default"]
    evidence: list[LevelEvidenceOut]
    you: RatingStats = Field(description="Your rated sessions in this family.")
    clusters: list[ClusterInsight]


class RatingPoint(BaseModel):
    session_id: int
    started_at: datetime
    rating: float
    family: str
    beat_hz: float
    bpm: float


class InsightsReport(BaseModel):
    user_id: int
    neurotype: str
    n_rated_sessions: int = Field(description="Your ended, rated sessions the insights read.")
    families: list[FamilyInsights] = Field(description="Every intent family, yours with sessions first.")
    ratings_over_time: list[RatingPoint] = Field(description="Your sessions, oldest first, for plotting.")
