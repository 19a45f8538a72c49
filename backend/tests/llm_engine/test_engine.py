"""The schedule engine with the real bundled model: valid, on-band, streamed, fast paths honest."""

import asyncio
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from backend.llm_engine.client import ModelClient
from backend.llm_engine.engine import GeneratedSchedule, Progress, ScheduleEngine
from backend.llm_engine.model_queue import ModelBusy, ModelQueue, QueueLimits
from backend.llm_engine.model_store import bundled_model_dir, is_prepared
from backend.schedules.hold import HoldBounds, PlannerOffsets
from backend.schedules.intents import FAMILIES
from backend.schedules.listener import Neurotype, UserPreferences
from backend.schedules.plan import SessionBrief, hold_bounds, plan_schedule
from backend.schedules.refiner import ScheduleRequest
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import schedule_violations
from backend.tests.llm_engine.intents import INTENTS
from backend.tests.model_fixtures import MODELS_DIR, model_settings

pytestmark = pytest.mark.llm

NEUROTYPES = list(Neurotype)
FAMILY = {family.name: family for family in FAMILIES}


def _queue(queue_max: int = 4, per_user_max: int = 4) -> ModelQueue:
    return ModelQueue(
        {
            "interactive": QueueLimits(lane_max=queue_max, per_user_max=per_user_max),
            "background": QueueLimits(lane_max=queue_max, per_user_max=per_user_max),
        },
        typical_turn_sec=2.0,
    )


def _engine(client: ModelClient, **overrides: float) -> ScheduleEngine:
    options = {"deadline_sec": 120.0, "queue_max": 4, "cache_size": 0} | overrides
    return ScheduleEngine(
        client,
        _queue(int(options["queue_max"])),
        deadline_sec=float(options["deadline_sec"]),
        cache_size=int(options["cache_size"]),
    )


def _request(intent: str, *args: object, **kwargs: object) -> ScheduleRequest:
    return ScheduleRequest(SessionBrief(intent, *args, **kwargs))  # type: ignore[arg-type]


def _bounds(request: ScheduleRequest) -> HoldBounds:
    return hold_bounds(request.brief)


def assert_on_band(schedule: ModulationSchedule, bounds: HoldBounds) -> None:
    """Every step the model wrote: all but the arrival, sleep's waypoint and the return."""
    hold = [step for step in schedule.steps[1:] if step.timestamp_sec < bounds.hold_end_sec]
    if FAMILY[bounds.family].waypoint_hz is not None:
        hold = hold[1:]
    assert hold, "no step in the hold"
    for step in hold:
        assert bounds.beat_hz[0] <= step.binaural_freq <= bounds.beat_hz[1], step
        assert bounds.bpm[0] <= step.target_bpm <= bounds.bpm[1], step
        assert step.layer in bounds.layers, step


@pytest.mark.parametrize("index", range(len(INTENTS)))
async def test_every_intent_gets_a_valid_on_band_schedule_from_the_model(
    bundled_client: ModelClient, index: int
) -> None:
    request = _request(
        INTENTS[index], duration_min=(20, 30, 45, 90)[index % 4], neurotype=NEUROTYPES[index % 4]
    )
    result = await _engine(bundled_client).generate(request)
    assert result.source == "model", result.fallback_reason
    assert schedule_violations(result.schedule) == []
    assert_on_band(result.schedule, _bounds(request))
    assert result.raw_text  # what the model wrote, kept for inspection


async def test_steps_stream_first_and_match_the_final_schedule(bundled_client: ModelClient) -> None:
    request = _request("reading", 40)
    events = [event async for event in _engine(bundled_client).stream(request)]
    final = events.pop()
    progress = [event for event in events if isinstance(event, Progress)]
    assert isinstance(final, GeneratedSchedule)
    assert final.source == "model"
    assert len(progress) == len(events)
    assert progress[0].draft is None  # the arrival, known before the model writes a word
    steps = [step for event in progress for step in event.steps]
    assert len(steps) >= 2  # the arrival, then at least one step the model settled
    assert final.schedule.steps[: len(steps)] == steps
    hold_end_sec = _bounds(request).hold_end_sec
    for event in progress[1:]:  # each draft is a whole schedule, safe to play while the model writes
        assert event.draft is not None
        assert schedule_violations(event.draft) == []
        settled = [step for step in event.draft.steps if step.timestamp_sec < hold_end_sec]
        assert final.schedule.steps[: len(settled)] == settled
    assert final.timing.first_step_sec is not None
    assert final.timing.first_model_step_sec is not None
    assert final.timing.first_step_sec < final.timing.first_model_step_sec <= final.timing.total_sec


async def test_the_prompt_cache_is_reused_and_changes_nothing(bundled_client: ModelClient) -> None:
    engine = _engine(bundled_client)
    model = bundled_client.model
    assert model is not None
    model.forget_prompt_cache()
    request = _request("creative writing", 30, Neurotype.autism)
    cold = await engine.generate(request)
    warm = await engine.generate(request)
    assert cold.timing.reused_prompt_tokens == 0
    assert warm.timing.reused_prompt_tokens == warm.timing.prompt_tokens - 1
    assert warm.raw_text == cold.raw_text
    assert warm.schedule == cold.schedule


async def test_forced_tokens_share_forward_passes(bundled_client: ModelClient) -> None:
    result = await _engine(bundled_client).generate(_request("help me fall asleep", 60))
    timing = result.timing
    assert timing.forced_tokens > timing.generated_tokens / 2  # units, separators, words' tails
    # One pass for the prompt, then one per sampled token at most; forced tokens ride along.
    assert timing.forward_passes <= 1 + timing.generated_tokens - timing.forced_tokens


async def test_a_missed_deadline_leaves_the_planner_schedule(bundled_client: ModelClient) -> None:
    result = await _engine(bundled_client, deadline_sec=0.01).generate(_request("reading", 30))
    assert result.source == "planner"
    assert result.fallback_reason is not None
    assert result.fallback_reason.startswith("deadline")
    assert schedule_violations(result.schedule) == []


async def test_a_full_queue_is_refused_with_a_retry_hint(bundled_client: ModelClient) -> None:
    engine = _engine(bundled_client, queue_max=1)
    outcomes = await asyncio.gather(
        *(engine.generate(_request(intent, 30)) for intent in ("reading", "relax", "sleep")),
        return_exceptions=True,
    )
    busy = [outcome for outcome in outcomes if isinstance(outcome, ModelBusy)]
    served = [outcome for outcome in outcomes if isinstance(outcome, GeneratedSchedule)]
    assert len(busy) == 1
    assert busy[0].retry_after_sec >= 1
    assert len(served) == 2
    assert all(result.source == "model" for result in served)
    assert engine.outcomes["busy"] == 1


async def test_repeated_requests_are_answered_from_the_cache(bundled_client: ModelClient) -> None:
    engine = _engine(bundled_client, cache_size=8)
    request = _request("morning meditation", 30, preferences=UserPreferences(noise="pink"))
    first = await engine.generate(request)
    again = await engine.generate(request)
    assert not first.timing.cached
    assert again.timing.cached
    assert again.schedule == first.schedule
    other = await engine.generate(_request("morning meditation", 45))
    assert not other.timing.cached


def _random_client(folder: Path) -> ModelClient:
    client = ModelClient(model_settings(str(folder)))
    client.start_loading()
    assert client.wait_loaded() == "ok", client.error
    return client


async def test_a_model_that_knows_nothing_is_still_held_on_band_by_the_grammar(
    random_model_dir: Path,
) -> None:
    request = _request("deep focus: coding", 30, Neurotype.adhd)
    result = await _engine(_random_client(random_model_dir)).generate(request)
    assert result.source == "model"
    assert schedule_violations(result.schedule) == []
    assert_on_band(result.schedule, _bounds(request))


async def test_garbage_from_an_unconstrained_model_falls_back_to_the_planner(random_model_dir: Path) -> None:
    client = _random_client(random_model_dir)
    engine = ScheduleEngine(client, _queue(), deadline_sec=120, cache_size=0, constrained=False)
    result = await engine.generate(_request("deep focus: coding", 30))
    assert result.source == "planner"
    assert result.fallback_reason is not None
    assert result.fallback_reason.split(":")[0] in {"unparsable", "empty", "off_band"}
    assert schedule_violations(result.schedule) == []
    assert sum(count for kind, count in engine.outcomes.items() if kind.startswith("fallback_")) == 1


async def test_without_a_model_the_planner_answers_with_what_ratings_taught() -> None:
    client = ModelClient(model_settings("none"))
    learned = PlannerOffsets(beat_hz=1.0, bpm=4)
    result = await _engine(client).generate(_request("reading", 30, offsets=learned))
    assert result.source == "planner"
    assert result.fallback_reason == "model_disabled: not loaded"
    assert result.schedule == plan_schedule(SessionBrief("reading", 30, offsets=learned))
    assert result.schedule != plan_schedule(SessionBrief("reading", 30))


async def test_a_caller_that_gives_up_never_lets_two_decodes_overlap(
    bundled_client: ModelClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first caller's deadline passes mid-decode; the next request waits for the decoding
    thread to finish instead of sharing the model (whose prompt cache is not thread-safe)."""
    model = bundled_client.model
    assert model is not None
    real_write = model.write
    running, overlaps, decodes = 0, 0, 0
    lock = threading.Lock()
    loop = asyncio.get_running_loop()
    began = asyncio.Event()

    def counting_write(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, overlaps, decodes
        with lock:
            running += 1
            decodes += 1
            overlaps += running > 1
        loop.call_soon_threadsafe(began.set)
        try:
            return real_write(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(model, "write", counting_write)
    engine = _engine(bundled_client)
    impatient = asyncio.ensure_future(engine.generate(_request("deep focus: coding", 45)))
    await asyncio.wait_for(began.wait(), 60)  # its decode has begun
    impatient.cancel()  # the caller goes away (a client hangs up, a deadline passes)
    with pytest.raises(asyncio.CancelledError):
        await impatient
    result = await engine.generate(_request("reading", 30))
    assert result.source == "model", result.fallback_reason
    assert schedule_violations(result.schedule) == []
    assert decodes == 2
    assert overlaps == 0


async def test_a_model_process_that_dies_is_reported_and_started_again() -> None:
    """SIGKILL the model's process mid-write: the planner's schedule stands, with the reason;
    the client starts a new process and the model writes again."""
    if not is_prepared(bundled_model_dir(MODELS_DIR)):
        pytest.skip("bundled model not prepared: run `make setup`")
    client = ModelClient(model_settings("bundled"))
    client.start_loading()
    assert await asyncio.to_thread(client.wait_loaded) == "ok", client.error
    try:
        engine = _engine(client)
        model = client.model
        assert model is not None
        writing = asyncio.ensure_future(engine.generate(_request("deep focus: coding", 45)))
        await asyncio.sleep(0.3)  # the write is under way
        os.kill(model.process.pid or 0, signal.SIGKILL)
        result = await asyncio.wait_for(writing, 60)
        assert result.source == "planner"
        assert result.fallback_reason is not None
        assert result.fallback_reason.startswith("decode_error: ModelProcessDied")
        assert schedule_violations(result.schedule) == []
        assert client.status == "loading"
        assert await asyncio.to_thread(client.wait_loaded, 120) == "ok", client.error
        again = await engine.generate(_request("reading", 30))
        assert again.source == "model", again.fallback_reason
    finally:
        client.close()
