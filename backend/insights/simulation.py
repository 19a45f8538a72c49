"""Simulated listeners with hidden preferences: the ground truth for tests and the benchmark.

Each listener likes one beat and one tempo per family, hidden from the learner. Their rating of
a session falls with the distance between what they heard during the hold (its time-weighted
beat and tempo) and that preference, shifted by a personal bias and blurred by noise, rounded
to 1-5 stars. Listeners of one neurotype share a tendency, so peers' ratings carry real
information about a newcomer. Sessions are planned by the real planner and stored as the real
API stores them, so the learner sees exactly what it would see in production.

Anxiety is not simulated: the planner caps its beat below some families' bands, so offsets
could not move those holds.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np

from backend.insights.features import RatedSession, ScheduleFeatures, schedule_features, sessions_frame
from backend.insights.model import BANDS, FAMILIES_BY_NAME, PreferenceModel, Recommendation
from backend.insights.recommend import planning_offsets
from backend.schedules.hold import PlannerOffsets
from backend.schedules.listener import Neurotype
from backend.schedules.plan import SessionBrief, plan_schedule

SIMULATED_NEUROTYPES: tuple[Neurotype, ...] = (
    Neurotype.neurotypical,
    Neurotype.adhd,
    Neurotype.autism,
    Neurotype.depression,
)

SIMULATED_INTENTS: dict[str, str] = {
    "focus": "deep focus: coding",
    "reading": "reading a novel",
    "relax": "relax after work",
    "sleep": "help me sleep",
}
"""One intent text per simulated family (the planner classifies each into that family)."""

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Listener:
    user_id: int
    neurotype: Neurotype
    preferred: dict[str, tuple[float, float]]
    """Family name -> (beat Hz, BPM) this listener would rate highest. Hidden from the learner."""
    bias: float
    """Added to every rating: some people rate generously, some harshly."""


@dataclass(frozen=True)
class World:
    """Neurotype tendencies and the rating model, fixed by a seed so runs are reproducible.

    Distances are in half-bands (the band's half-width): `tolerance` is how far from the
    preference a hold can be before the rating has fallen by about 40% of its range.
    """

    seed: int = 0
    neurotype_spread: float = 0.5
    individual_spread: float = 0.35
    tolerance: float = 0.5
    noise_stars: float = 0.5
    tendencies: dict[tuple[Neurotype, str], tuple[float, float]] = field(init=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        object.__setattr__(
            self,
            "tendencies",
            {
                (neurotype, family): tuple(rng.uniform(-self.neurotype_spread, self.neurotype_spread, 2))
                for neurotype in SIMULATED_NEUROTYPES
                for family in SIMULATED_INTENTS
            },
        )

    def listener(self, user_id: int, neurotype: Neurotype, rng: np.random.Generator) -> Listener:
        preferred = {}
        for family, band in ((name, BANDS[name]) for name in SIMULATED_INTENTS):
            tendency_u, tendency_v = self.tendencies[neurotype, family]
            u, v = np.clip(
                np.array([tendency_u, tendency_v]) + rng.normal(0, self.individual_spread, 2), -0.9, 0.9
            )
            preferred[family] = (band.centre_hz + u * band.half_hz, band.centre_bpm + v * band.half_bpm)
        return Listener(user_id, neurotype, preferred, bias=float(rng.normal(0, 0.5)))

    def rate(self, listener: Listener, family: str, heard: ScheduleFeatures, rng: np.random.Generator) -> int:
        band = BANDS[family]
        preferred_hz, preferred_bpm = listener.preferred[family]
        distance_sq = ((heard.beat_hz - preferred_hz) / band.half_hz) ** 2 + (
            (heard.bpm - preferred_bpm) / band.half_bpm
        ) ** 2
        stars = 1.5 + 3.5 * np.exp(-distance_sq / (2 * self.tolerance**2))
        stars += listener.bias + rng.normal(0, self.noise_stars)
        return int(np.clip(np.rint(stars), 1, 5))

    def play(
        self,
        listener: Listener,
        family: str,
        offsets: PlannerOffsets,
        rng: np.random.Generator,
        session_id: int,
    ) -> RatedSession:
        """Plan a session with `offsets` as the API would, and rate it as `listener` would."""
        intent = SIMULATED_INTENTS[family]
        schedule = plan_schedule(
            SessionBrief(
                intent,
                duration_min=float(rng.choice([20, 30, 45, 60])),
                neurotype=listener.neurotype,
                offsets=offsets,
            )
        ).model_dump(mode="json")
        heard = schedule_features(schedule, FAMILIES_BY_NAME[family])
        assert heard is not None  # the planner's schedules are always well-formed
        return RatedSession(
            session_id=session_id,
            user_id=listener.user_id,
            neurotype=listener.neurotype.value,
            intent=intent,
            schedule=schedule,
            rating=float(self.rate(listener, family, heard, rng)),
            started_at=_EPOCH + timedelta(hours=session_id),
        )


def uniform_offsets(family: str, rng: np.random.Generator) -> PlannerOffsets:
    """Anywhere in the band: how an exploring population's history might look."""
    band = BANDS[family]
    u, v = rng.uniform(-1, 1, 2)
    return band.offsets(float(u), float(v))


def history(
    world: World,
    user_ids: Iterable[int],
    families: Iterable[str],
    sessions_each: int,
    rng: np.random.Generator,
    neurotypes: Sequence[Neurotype] = SIMULATED_NEUROTYPES,
) -> tuple[list[Listener], list[RatedSession]]:
    """Listeners (neurotypes in turn by user id) with `sessions_each` past sessions per family,
    spread over each band."""
    listeners: list[Listener] = []
    played: list[RatedSession] = []
    families = tuple(families)
    for user_id in user_ids:
        listener = world.listener(user_id, neurotypes[user_id % len(neurotypes)], rng)
        listeners.append(listener)
        offsets = [
            (family, uniform_offsets(family, rng)) for family in families for _ in range(sessions_each)
        ]
        for n, (family, offset) in enumerate(offsets):
            played.append(world.play(listener, family, offset, rng, user_id * 10_000 + n))
    return listeners, played


class Turn(NamedTuple):
    played: RatedSession
    recommendation: Recommendation
    """After learning from `played`."""


def learn_by_playing(
    world: World,
    listener: Listener,
    family: str,
    pool: PreferenceModel,
    sessions: int,
    rng: np.random.Generator,
    *,
    first_session_id: int,
    explore: bool = True,
) -> list[Turn]:
    """The app's loop for one newcomer: recommend, vary, plan, play, rate, learn, repeat.

    `pool` holds everyone else's sessions. `explore=False` replays the best guess every time.
    """
    intent_family = FAMILIES_BY_NAME[family]
    played: list[RatedSession] = []
    model = pool
    turns = []
    for n in range(sessions):
        recommendation = model.recommend(listener.user_id, listener.neurotype.value, intent_family)
        offsets = planning_offsets(recommendation, rng) if explore else recommendation.offsets
        played.append(world.play(listener, family, offsets, rng, first_session_id + n))
        model = pool.including(sessions_frame(played))
        turns.append(
            Turn(played[-1], model.recommend(listener.user_id, listener.neurotype.value, intent_family))
        )
    return turns


@dataclass(frozen=True)
class CurvePoint:
    """Mean absolute error (Hz, BPM) against the hidden preferences after `sessions` sessions."""

    sessions: int
    ours: tuple[float, float]
    centre: tuple[float, float]
    """The non-learning baseline: the family's centre, what the planner plays by default."""
    best_so_far: tuple[float, float]
    """A naive learner: the hold of the best-rated session so far (the latest among equals)."""


def learning_curve(
    world: World,
    pool: PreferenceModel,
    family: str,
    newcomers: Sequence[Listener],
    checkpoints: Sequence[int],
    rng: np.random.Generator,
    *,
    explore: bool = True,
) -> list[CurvePoint]:
    """How close the recommendations get to each newcomer's preference as they play."""
    band = BANDS[family]
    ours: dict[int, list[tuple[float, float]]] = {n: [] for n in checkpoints}
    best: dict[int, list[tuple[float, float]]] = {n: [] for n in checkpoints}
    centre: list[tuple[float, float]] = []
    for index, listener in enumerate(newcomers):
        preferred_hz, preferred_bpm = listener.preferred[family]
        turns = learn_by_playing(
            world,
            listener,
            family,
            pool,
            max(checkpoints),
            rng,
            first_session_id=(index + 1) * 1_000_000,
            explore=explore,
        )
        holds = [schedule_features(turn.played.schedule, FAMILIES_BY_NAME[family]) for turn in turns]
        for n in checkpoints:
            recommendation = turns[n - 1].recommendation
            ours[n].append(
                (abs(recommendation.beat_hz - preferred_hz), abs(recommendation.bpm - preferred_bpm))
            )
            top = max(range(n), key=lambda i: (turns[i].played.rating, i))
            hold = holds[top]
            assert hold is not None
            best[n].append((abs(hold.beat_hz - preferred_hz), abs(hold.bpm - preferred_bpm)))
        centre.append((abs(band.centre_hz - preferred_hz), abs(band.centre_bpm - preferred_bpm)))
    centre_mean = _mean_pair(centre)
    return [CurvePoint(n, _mean_pair(ours[n]), centre_mean, _mean_pair(best[n])) for n in checkpoints]


def _mean_pair(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    hz, bpm = np.mean(pairs, axis=0)
    return float(hz), float(bpm)
