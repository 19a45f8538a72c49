"""The public verbs of insights: recommend settings, vary the next session, report, summarise.

Every function here takes a sessions frame (`features.sessions_frame`) and never raises on
little or odd data: no sessions, one session, equal ratings or NaN give the fallback answer.
"""

from typing import Any

import numpy as np
import pandas as pd

from backend.insights.clusters import cluster_insights
from backend.insights.features import dominant_layer, dominant_noise
from backend.insights.model import BANDS, PreferenceModel, Recommendation, usable_rows
from backend.insights.schemas import (
    FamilyInsights,
    InsightsReport,
    LevelEvidenceOut,
    Range,
    RatingPoint,
    RatingStats,
    Setting,
)
from backend.schedules.explain import FAMILY_LABELS, LearnedNote
from backend.schedules.hold import PlannerOffsets
from backend.schedules.intents import FAMILIES, IntentFamily

EXPLORE_MIN = 0.25
EXPLORE_MAX = 0.5
"""Spread (in half-bands) of the next session around the recommendation, from full confidence
to none. Ratings can only say where a listener's peak is if sessions differ: a planner that
always played the current best guess would never learn more, so each session tries a little
around it, less as confidence grows. Everything stays inside the family's band."""

HISTORY_MIN_RATING = 4
"""The prompt's {history} lists only sessions the listener liked."""


def recommend(frame: pd.DataFrame, user_id: int, neurotype: str, family: IntentFamily) -> Recommendation:
    """What `user_id` is likely to rate highest for `family`, from everyone's rows in `frame`."""
    return PreferenceModel(frame).recommend(user_id, neurotype, family)


def planning_offsets(
    recommendation: Recommendation, rng: np.random.Generator, variety: float = 1.0
) -> PlannerOffsets:
    """Offsets for the next session: the recommendation, varied a little for learning's sake.

    `variety` scales that variation (autistic listeners get half: predictability over novelty).
    """
    band = BANDS.get(recommendation.family)
    if band is None:
        return recommendation.offsets
    spread = variety * (EXPLORE_MIN + (EXPLORE_MAX - EXPLORE_MIN) * (1 - recommendation.confidence))
    u = recommendation.offsets.beat_hz / band.half_hz + rng.normal(0, spread)
    v = recommendation.offsets.bpm / band.half_bpm + rng.normal(0, spread)
    return band.offsets(float(np.clip(u, -1, 1)), float(np.clip(v, -1, 1)))


CONFIDENT = 0.5
"""From this confidence on, the recommendation is said as a finding, below it as a first guess."""


def learned_note(recommendation: Recommendation, family: IntentFamily) -> LearnedNote:
    """The recommendation in words whose certainty follows its confidence."""
    own = next((level for level in recommendation.evidence if level.level == "user"), None)
    sessions = sum(level.n_sessions for level in recommendation.evidence)
    label = FAMILY_LABELS[family.name].lower()
    level = f"{recommendation.beat_hz:g} Hz, {recommendation.bpm:.0f} BPM"
    if recommendation.source == "default" or recommendation.confidence == 0:
        summary = (
            f"Nothing rated yet for {label}: the band's centre, varied a little so your ratings can teach it."
        )
    elif own is not None and recommendation.confidence >= CONFIDENT:
        summary = (
            f"You rated {label} sessions near {level} highest ({own.n_sessions} rated): planned around that."
        )
    elif own is not None:
        summary = (
            f"A first guess from {own.n_sessions} of your ratings and others': {level}. "
            "More ratings make it surer."
        )
    else:
        summary = (
            f"From {sessions} rated sessions of listeners like you: {level}. "
            "Your own ratings take over as you rate."
        )
    return LearnedNote(
        beat_hz_offset=recommendation.offsets.beat_hz,
        bpm_offset=recommendation.offsets.bpm,
        confidence=recommendation.confidence,
        source=recommendation.source,
        sessions=sessions,
        summary=summary,
    )


def best_rated_schedules(frame: pd.DataFrame, user_id: int, family: str, k: int = 3) -> list[dict[str, Any]]:
    """The user's `k` best-rated sessions in `family` (4 stars or more, newest first among
    equals), summarised compactly for the prompt's {history} placeholder."""
    rows = usable_rows(frame)
    if rows.empty:
        return []
    rows = rows.loc[(rows["user_id"] == user_id) & (rows["family"] == family)]
    rows = rows.loc[rows["rating"] >= HISTORY_MIN_RATING]
    # started_at has whole seconds on MySQL/MariaDB: the id breaks ties in creation order.
    best = rows.sort_values(["rating", "started_at", "session_id"], ascending=False).head(max(k, 0))
    return [
        {
            "intent": row["intent"],
            "rating": int(row["rating"]),
            "hold_beat_hz": round(float(row["beat_hz"]), 1),
            "hold_bpm": round(float(row["bpm"])),
            "layer": dominant_layer(
                row["binaural_fraction"], row["isochronic_fraction"], row["ambient_fraction"]
            ),
            "noise": dominant_noise(row["pink_noise_fraction"], row["brown_noise_fraction"]),
        }
        for row in best.to_dict("records")
    ]


def insights_report(frame: pd.DataFrame, user_id: int, neurotype: str) -> InsightsReport:
    """Recommendations for every family, with their evidence, clusters and plot data.

    Only aggregates of others' sessions appear (see `schemas`); the caller's own rows are the
    only ones listed.
    """
    rows = usable_rows(frame)
    own = rows.loc[rows["user_id"] == user_id].sort_values(["started_at", "session_id"])
    model = PreferenceModel(rows)
    own_families = set(own["family"])
    families = sorted(FAMILIES, key=lambda family: family.name not in own_families)
    return InsightsReport(
        user_id=user_id,
        neurotype=neurotype,
        n_rated_sessions=len(own),
        families=[
            _family_insights(
                model.recommend(user_id, neurotype, family),
                family,
                rows.loc[rows["family"] == family.name] if family.name in own_families else None,
                user_id,
                neurotype,
            )
            for family in families
        ],
        ratings_over_time=[
            RatingPoint(
                session_id=int(row["session_id"]),
                started_at=row["started_at"],
                rating=float(row["rating"]),
                family=str(row["family"]),
                beat_hz=round(float(row["beat_hz"]), 2),
                bpm=round(float(row["bpm"]), 1),
            )
            for row in own.to_dict("records")
        ],
    )


def _family_insights(
    recommendation: Recommendation,
    family: IntentFamily,
    family_rows: pd.DataFrame | None,
    user_id: int,
    neurotype: str,
) -> FamilyInsights:
    own = family_rows.loc[family_rows["user_id"] == user_id] if family_rows is not None else None
    n_own = 0 if own is None else len(own)
    return FamilyInsights(
        family=family.name,
        band={
            "beat_hz": Range(low=family.beat_hz[0], high=family.beat_hz[1]),
            "bpm": Range(low=family.bpm[0], high=family.bpm[1]),
        },
        recommended=Setting(beat_hz=recommendation.beat_hz, bpm=recommendation.bpm),
        offsets=Setting(beat_hz=recommendation.offsets.beat_hz, bpm=recommendation.offsets.bpm),
        confidence=recommendation.confidence,
        source=recommendation.source,
        evidence=[
            LevelEvidenceOut(
                level=level.level,
                n_sessions=level.n_sessions,
                n_users=level.n_users,
                weight=level.weight,
                preferred=Setting(beat_hz=level.beat_hz, bpm=level.bpm),
            )
            for level in recommendation.evidence
        ],
        you=RatingStats(
            n_sessions=n_own,
            mean_rating=round(float(own["rating"].mean()), 2) if own is not None and n_own else None,
        ),
        clusters=[] if family_rows is None else cluster_insights(family_rows, user_id, neurotype),
    )
