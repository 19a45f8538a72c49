"""Learning from ratings on simulated listeners whose preferred beat and tempo are known.

Sessions are planned by the real planner with the offsets insights choose, rated by a simulated
listener from what the hold played, and fed back, exactly as in the app (`simulation`).
"""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from backend.insights import best_rated_schedules, insights_report, planning_offsets, recommend
from backend.insights.features import RatedSession, sessions_frame
from backend.insights.model import BANDS, FAMILIES_BY_NAME, PreferenceModel, Recommendation
from backend.insights.simulation import (
    SIMULATED_INTENTS,
    SIMULATED_NEUROTYPES,
    Listener,
    World,
    history,
    learn_by_playing,
    learning_curve,
    uniform_offsets,
)
from backend.schedules.hold import PlannerOffsets
from backend.schedules.listener import Neurotype
from backend.schedules.plan import SessionBrief, plan_schedule

FOCUS = FAMILIES_BY_NAME["focus"]
CHECKPOINTS = (5, 10, 20, 40)


def _newcomers(world: World, count: int, rng: np.random.Generator) -> list[Listener]:
    return [world.listener(100 + i, SIMULATED_NEUROTYPES[i % 4], rng) for i in range(count)]


@pytest.mark.parametrize("peers", [40, 0], ids=["with-peers", "alone"])
def test_error_shrinks_with_sessions_and_beats_the_band_centre(peers: int) -> None:
    world, rng = World(seed=1), np.random.default_rng(2)
    _, played = history(world, range(1, peers + 1), ["focus"], 16, rng)
    pool = PreferenceModel(sessions_frame(played))
    curve = learning_curve(world, pool, "focus", _newcomers(world, 16, rng), CHECKPOINTS, rng)
    ours = {point.sessions: np.array(point.ours) for point in curve}
    centre = np.array(curve[0].centre)

    for n in CHECKPOINTS:  # both beat and tempo, at every checkpoint
        assert (ours[n] < centre).all(), (n, ours[n], centre)
    assert (ours[10] < ours[5]).all(), ours
    assert (ours[40] < ours[10]).all(), ours
    assert (ours[40] < 0.5 * centre).all(), (ours[40], centre)


def test_no_sessions_gives_the_default() -> None:
    recommendation = recommend(sessions_frame([]), 1, "adhd", FOCUS)
    assert recommendation.source == "default"
    assert recommendation.confidence == 0
    assert recommendation.offsets == PlannerOffsets()
    assert (recommendation.beat_hz, recommendation.bpm) == (16.0, 105.0)


def test_odd_data_gives_the_default_not_an_error() -> None:
    world, rng = World(seed=5), np.random.default_rng(5)
    listener = world.listener(1, Neurotype.neurotypical, rng)
    one = sessions_frame([world.play(listener, "focus", uniform_offsets("focus", rng), rng, 1)])
    assert recommend(one, 1, "neurotypical", FOCUS).source == "default"

    same_rating = sessions_frame(
        [world.play(listener, "focus", uniform_offsets("focus", rng), rng, n) for n in range(10)]
    ).assign(rating=3.0)
    assert recommend(same_rating, 1, "neurotypical", FOCUS).source == "default"

    broken = same_rating.copy()
    broken.loc[0:4, "rating"] = np.nan
    broken.loc[5:7, "beat_hz"] = np.nan
    broken.loc[8, "rating"] = 99.0
    broken.loc[9, "family"] = "no such family"
    assert recommend(broken, 1, "neurotypical", FOCUS).source == "default"
    assert recommend(pd.DataFrame(), 1, "neurotypical", FOCUS).source == "default"
    assert insights_report(pd.DataFrame(), 1, "neurotypical").n_rated_sessions == 0
    report = insights_report(broken, 1, "neurotypical")
    assert report.n_rated_sessions == 0


def test_a_newcomer_gets_their_neurotypes_answer_then_their_own() -> None:
    world = World(seed=6, neurotype_spread=0.8, individual_spread=0.1)
    rng = np.random.default_rng(6)
    peers, played = history(world, range(1, 9), ["focus"], 20, rng, neurotypes=[Neurotype.autism])
    frame = sessions_frame(played)
    tendency_hz = np.mean([peer.preferred["focus"][0] for peer in peers])

    newcomer = recommend(frame, 99, "autism", FOCUS)
    assert newcomer.source == "neurotype"
    assert 0 < newcomer.confidence < 0.5
    assert abs(newcomer.beat_hz - tendency_hz) < abs(16.0 - tendency_hz)

    # Someone of another neurotype borrows from everyone instead (the same peers, counted half).
    assert recommend(frame, 99, "adhd", FOCUS).source == "everyone"

    listener = world.listener(99, Neurotype.autism, rng)
    turns = learn_by_playing(
        world, listener, "focus", PreferenceModel(frame), 40, rng, first_session_id=99_000
    )
    recommendations = [turn.recommendation for turn in turns]
    assert recommendations[1].source == "neurotype"  # two sessions of their own say little
    assert recommendations[-1].source == "user"
    confidences = [recommendations[n - 1].confidence for n in CHECKPOINTS]
    assert confidences == sorted(confidences)
    assert confidences[-1] > newcomer.confidence


def test_one_or_two_other_people_are_never_a_source() -> None:
    """A pooled answer from one person would reveal that person's preferences."""
    world, rng = World(seed=7), np.random.default_rng(7)
    _, played = history(world, range(1, 3), ["focus"], 40, rng, neurotypes=[Neurotype.adhd])
    recommendation = recommend(sessions_frame(played), 99, "adhd", FOCUS)
    assert recommendation.source == "default"
    assert recommendation.evidence == ()


def test_next_session_varies_less_as_confidence_grows() -> None:
    rng = np.random.default_rng(8)
    band = BANDS["focus"]

    def spread(confidence: float, variety: float = 1.0) -> float:
        unsure = Recommendation(
            "focus", PlannerOffsets(), band.centre_hz, band.centre_bpm, confidence, "user", ()
        )
        offsets = [planning_offsets(unsure, rng, variety) for _ in range(400)]
        assert all(abs(o.beat_hz) <= band.half_hz and abs(o.bpm) <= band.half_bpm for o in offsets)
        return float(np.std([o.beat_hz for o in offsets]))

    assert spread(1.0) < 0.7 * spread(0.0)
    # Autistic listeners get half the variety (predictability over novelty).
    assert spread(1.0, variety=0.5) < 0.6 * spread(1.0)


def test_best_rated_schedules_lists_only_your_liked_sessions_in_the_family() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)

    def session(session_id: int, user_id: int, intent: str, offset_hz: float, rating: float) -> RatedSession:
        schedule = plan_schedule(SessionBrief(intent, 30, offsets=PlannerOffsets(offset_hz))).model_dump(
            mode="json"
        )
        return RatedSession(
            session_id, user_id, "adhd", intent, schedule, rating, at.replace(hour=session_id)
        )

    frame = sessions_frame(
        [
            session(1, 1, "coding", -1.0, 5),
            session(2, 1, "coding", 1.0, 4),
            session(3, 1, "coding", 0.0, 5),
            session(4, 1, "coding", 0.5, 2),
            session(5, 1, "help me sleep", 0.0, 5),
            session(6, 2, "coding", 2.0, 5),
        ]
    )
    history = best_rated_schedules(frame, 1, "focus", k=2)
    assert [item["rating"] for item in history] == [5, 5]
    assert [item["hold_beat_hz"] for item in history] == [
        pytest.approx(16.2, abs=0.3),
        pytest.approx(15.2, abs=0.3),
    ]
    assert set(history[0]) == {"intent", "rating", "hold_beat_hz", "hold_bpm", "layer", "noise"}
    assert len(best_rated_schedules(frame, 1, "focus", k=10)) == 3  # the 2-star one is left out
    assert best_rated_schedules(frame, 3, "focus") == []
    assert best_rated_schedules(sessions_frame([]), 1, "focus") == []


def test_report_shows_your_sessions_and_only_aggregates_of_others() -> None:
    world, rng = World(seed=9), np.random.default_rng(9)
    _, played = history(world, range(1, 7), ["focus"], 10, rng, neurotypes=[Neurotype.adhd])
    frame = sessions_frame(played)
    report = insights_report(frame, 1, "adhd")

    assert report.n_rated_sessions == 10
    assert {point.session_id for point in report.ratings_over_time} == set(range(10_000, 10_010))
    times = [point.started_at for point in report.ratings_over_time]
    assert times == sorted(times)
    focus = report.families[0]
    assert focus.family == "focus"
    assert focus.you.n_sessions == 10
    assert sum(cluster.you.n_sessions for cluster in focus.clusters) == 10
    assert focus.evidence[0].level == "user"
    for cluster in focus.clusters:
        for peers in (cluster.neurotype, cluster.everyone):
            assert peers is None or peers.n_sessions >= 3
    others = [family for family in report.families[1:]]
    assert {family.family for family in others} == {f for f in FAMILIES_BY_NAME} - {"focus"}
    assert all(family.clusters == [] and family.you.n_sessions == 0 for family in others)


def test_simulated_intents_are_the_families_they_name() -> None:
    from backend.schedules.intents import classify_intent

    assert {name: classify_intent(intent).name for name, intent in SIMULATED_INTENTS.items()} == {
        name: name for name in SIMULATED_INTENTS
    }
