"""Render slots: a bounded number of renders at once, each slot given back however its stream ends."""

import gc

import pytest

from backend.audio_render.synth import RenderSettings
from backend.schedules.schedule import ModulationSchedule
from backend.services.rendering import RendersBusy, RenderSlots

SCHEDULE = ModulationSchedule.model_validate(
    {
        "intent": "focus",
        "total_duration_sec": 60,
        "steps": [
            {
                "timestamp_sec": 0,
                "target_bpm": 80,
                "binaural_freq": 10,
                "ramp_duration_sec": 0,
                "layer": "binaural",
            }
        ],
    }
)
SETTINGS = RenderSettings()


def test_one_slot_refuses_a_second_render_until_the_first_is_read_to_the_end() -> None:
    slots = RenderSlots(1)
    first = slots.render(SCHEDULE, SETTINGS, "wav")
    with pytest.raises(RendersBusy):
        slots.render(SCHEDULE, SETTINGS, "wav")
    size = sum(len(chunk) for chunk in first)
    assert size > 60 * 44_100 * 2 * 2  # a whole minute of 16-bit stereo was produced
    slots.render(SCHEDULE, SETTINGS, "wav").close()  # free again


def test_a_stream_closed_early_or_dropped_unread_gives_its_slot_back() -> None:
    slots = RenderSlots(1)
    started = slots.render(SCHEDULE, SETTINGS, "flac")
    next(started)
    started.close()  # the listener went away mid-file
    unread = slots.render(SCHEDULE, SETTINGS, "wav")
    del unread  # never iterated: the response never started
    gc.collect()
    slots.render(SCHEDULE, SETTINGS, "wav").close()


def test_an_unsafe_schedule_takes_no_slot() -> None:
    from backend.schedules.validator import ScheduleRejected

    unsafe = SCHEDULE.model_copy(
        update={"steps": [SCHEDULE.steps[0].model_copy(update={"binaural_freq": 90.0})]}
    )
    slots = RenderSlots(1)
    with pytest.raises(ScheduleRejected):
        slots.render(unsafe, SETTINGS, "wav")
    slots.render(SCHEDULE, SETTINGS, "wav").close()
