"""Learning from ratings: how close recommendations get, how long fitting takes, what a start pays.

Run: `.venv/bin/python -m bench.insights` (about a minute and a half). Three tables, each with
its baseline from the same run:

1. Mean absolute error of the recommended hold (beat Hz, BPM) against simulated listeners'
   hidden preferences after 5, 10, 20 and 40 sessions, learning in the app's loop (recommend,
   vary, plan with the real planner, rate, learn). Baselines: the family's centre (what the
   planner plays without insights) and a naive learner (the hold of the best-rated session so
   far). With peers (an exploring population rated before), alone, and without exploration.
2. Fitting 100,000 sessions: summarising schedules, fitting the model, recommending for every
   user and family, clustering; baseline: a plain pandas groupby-mean over the same frame.
3. What starting a session pays for insights (SQLite, caches warm, one new rating since the
   previous start, as in use), against the rest of a start (plan, validate, store).
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.database import create_engine, create_session_factory
from backend.db.queries import SessionQueries
from backend.insights.clusters import cluster_insights
from backend.insights.features import sessions_frame
from backend.insights.model import FAMILIES_BY_NAME, PreferenceModel
from backend.insights.service import learned_for
from backend.insights.simulation import (
    SIMULATED_INTENTS,
    SIMULATED_NEUROTYPES,
    CurvePoint,
    World,
    history,
    learning_curve,
)
from backend.models.orm import ListeningSession, User, utcnow
from backend.schedules.intents import classify_intent
from backend.schedules.plan import SessionBrief, plan_schedule
from backend.schedules.validator import ensure_safe
from backend.services.bootstrap import prepare_database

CHECKPOINTS = (5, 10, 20, 40)
FAMILIES = tuple(SIMULATED_INTENTS)


def _curves(newcomers_per_family: int, seed: int) -> dict[str, list[CurvePoint]]:
    """Learning curves averaged over the simulated families, for three set-ups."""
    world = World(seed=seed)
    rng = np.random.default_rng(seed)
    _, played = history(world, range(1, 201), FAMILIES, 10, rng)
    with_peers = PreferenceModel(sessions_frame(played))
    alone = PreferenceModel(sessions_frame([]))
    setups: dict[str, tuple[PreferenceModel, bool]] = {
        "with 200 peers": (with_peers, True),
        "alone": (alone, True),
        "with peers, no exploration": (with_peers, False),
    }
    newcomers = {
        family: [
            world.listener(100_000 + i, SIMULATED_NEUROTYPES[i % len(SIMULATED_NEUROTYPES)], rng)
            for i in range(newcomers_per_family)
        ]
        for family in FAMILIES
    }
    results: dict[str, list[CurvePoint]] = {}
    for name, (pool, explore) in setups.items():
        results[name] = _average(
            [
                _in_half_bands(
                    learning_curve(world, pool, family, newcomers[family], CHECKPOINTS, rng, explore=explore),
                    family,
                )
                for family in FAMILIES
            ]
        )
    return results


def _in_half_bands(curve: list[CurvePoint], family: str) -> list[CurvePoint]:
    """Errors as fractions of the family's half-band, so families of different widths average."""
    low_hz, high_hz = FAMILIES_BY_NAME[family].beat_hz
    low_bpm, high_bpm = FAMILIES_BY_NAME[family].bpm
    half = ((high_hz - low_hz) / 2, (high_bpm - low_bpm) / 2)

    def scale(pair: tuple[float, float]) -> tuple[float, float]:
        return pair[0] / half[0], pair[1] / half[1]

    return [CurvePoint(p.sessions, scale(p.ours), scale(p.centre), scale(p.best_so_far)) for p in curve]


def _average(curves: list[list[CurvePoint]]) -> list[CurvePoint]:
    def mean(pairs: list[tuple[float, float]]) -> tuple[float, float]:
        hz, bpm = np.mean(pairs, axis=0)
        return float(hz), float(bpm)

    return [
        CurvePoint(
            points[0].sessions,
            mean([p.ours for p in points]),
            mean([p.centre for p in points]),
            mean([p.best_so_far for p in points]),
        )
        for points in zip(*curves, strict=True)
    ]


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _fit_times(n_users: int, sessions_per_family: int, seed: int) -> list[tuple[str, float]]:
    world = World(seed=seed)
    rng = np.random.default_rng(seed)
    listeners, played = history(world, range(1, n_users + 1), FAMILIES, sessions_per_family, rng)
    features_sec, frame = _timed(lambda: sessions_frame(played))
    fit_sec, model = _timed(lambda: PreferenceModel(frame))
    recommend_sec, _ = _timed(
        lambda: [
            model.recommend(listener.user_id, listener.neurotype.value, FAMILIES_BY_NAME[family])
            for listener in listeners
            for family in FAMILIES
        ]
    )
    cluster_insights(frame.head(50), 1, "adhd")  # imports scikit-learn outside the timing
    cluster_sec, _ = _timed(
        lambda: [cluster_insights(frame.loc[frame["family"] == family], 1, "adhd") for family in FAMILIES]
    )
    baseline_sec, _ = _timed(
        lambda: frame.groupby(["family", "neurotype", "user_id"])[["rating", "beat_hz", "bpm"]].mean()
    )
    return [
        (f"summarise {len(played):,} schedules", features_sec),
        ("fit (all users' peaks, group sums)", fit_sec),
        (f"recommend x {len(listeners) * len(FAMILIES):,} (user, family)", recommend_sec),
        (f"k-means clusters, {len(FAMILIES)} families", cluster_sec),
        ("baseline: pandas groupby-mean", baseline_sec),
    ]


async def _start_path_ms(seed: int) -> tuple[float, float, int]:
    """Median ms of learned_for (warm caches) and of the rest of a start; rated sessions stored."""
    world = World(seed=seed)
    rng = np.random.default_rng(seed)
    _, others = history(world, range(1, 251), FAMILIES, 5, rng)
    _, own = history(world, [251], ["focus"], 200, rng)
    with tempfile.TemporaryDirectory() as directory:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        try:
            await prepare_database(engine)
            async with engine.begin() as connection:
                await connection.execute(
                    insert(User),
                    [
                        {
                            "id": i,
                            "username": f"u{i}",
                            "email": f"u{i}@example.org",
                            "username_key": f"u{i}",
                            "email_key": f"u{i}@example.org",
                            "password_hash": "x",
                        }
                        for i in range(1, 252)
                    ],
                )
                await connection.execute(
                    insert(ListeningSession),
                    [
                        {
                            "user_id": s.user_id,
                            "intent": s.intent,
                            "schedule": s.schedule,
                            "rating": int(s.rating),
                            "started_at": s.started_at,
                            "ended_at": utcnow(),
                            "duration_sec": 60,
                        }
                        for s in others + own
                    ],
                )
            async with create_session_factory(engine)() as db:
                user = await db.get(User, 251)
                assert user is not None
                focus = classify_intent("coding")
                await learned_for(db, user, focus)  # fills the caches, as the first start does
                insights_ms, rest_ms = [], []
                for _ in range(100):
                    insights_ms.append(await _ms(learned_for(db, user, focus)))
                    start = time.perf_counter()
                    session = await _start_without_insights(db, user)
                    rest_ms.append((time.perf_counter() - start) * 1000)
                    # The listener rates it before their next start.
                    await SessionQueries(db).end(session, ended_at=utcnow(), reason="ended", rating=4)
            return statistics.median(insights_ms), statistics.median(rest_ms), len(others) + len(own)
        finally:
            await engine.dispose()


async def _start_without_insights(db: AsyncSession, user: User) -> ListeningSession:
    """What `start_session` does besides asking insights: plan, validate, store."""
    schedule = ensure_safe(plan_schedule(SessionBrief("coding", 30, neurotype=user.neurotype)))
    return await SessionQueries(db).create(
        user=user, intent="coding", schedule=schedule.model_dump(mode="json"), refinement=None
    )


async def _ms(awaitable: Any) -> float:
    start = time.perf_counter()
    await awaitable
    return (time.perf_counter() - start) * 1000


def _print_curves(curves: dict[str, list[CurvePoint]], newcomers: int) -> None:
    print(
        f"\nRecommendation error vs hidden preference, {newcomers} newcomers x {len(FAMILIES)} families "
        "(focus, reading, relax, sleep);\nmean absolute error in half-bands (1.0 = half the family's band: "
        "2 Hz / 15 BPM for focus)"
    )
    header = (
        f"{'set-up':<28}| {'sessions':>8} | {'beat ours':>9} {'centre':>7} {'ratio':>6} {'best-so-far':>11} "
        f"| {'BPM ours':>9} {'centre':>7} {'ratio':>6} {'best-so-far':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, curve in curves.items():
        for point in curve:
            line = f"{name:<28}| {point.sessions:>8} "
            for axis in (0, 1):
                ours, centre = point.ours[axis], point.centre[axis]
                line += (
                    f"| {ours:>9.3f} {centre:>7.3f} {ours / centre:>6.2f} {point.best_so_far[axis]:>11.3f} "
                )
            print(line.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--newcomers", type=int, default=32, help="simulated newcomers per family")
    parser.add_argument("--users", type=int, default=2500, help="users for the fit timing (x 40 sessions)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    _print_curves(_curves(args.newcomers, args.seed), args.newcomers)

    times = _fit_times(args.users, 10, args.seed)
    baseline_sec = times[-1][1]
    print(f"\nFitting {args.users * 10 * len(FAMILIES):,} rated sessions ({args.users:,} users)")
    print(f"{'step':<42}| {'seconds':>8} | {'x baseline':>10}")
    for step, seconds in times:
        print(f"{step:<42}| {seconds:>8.3f} | {seconds / baseline_sec:>10.1f}")

    insights_ms, rest_ms, n_sessions = asyncio.run(_start_path_ms(args.seed))
    print(
        f"\nStarting a session, SQLite with {n_sessions:,} rated sessions (the user has 200); "
        "a new rating before each start"
    )
    print(f"{'what':<42}| {'median ms':>9} | {'x baseline':>10}")
    print(f"{'learned_for (read + recommend)':<42}| {insights_ms:>9.2f} | {insights_ms / rest_ms:>10.2f}")
    print(f"{'baseline: plan + validate + store':<42}| {rest_ms:>9.2f} | {1.0:>10.2f}")


if __name__ == "__main__":
    main()
