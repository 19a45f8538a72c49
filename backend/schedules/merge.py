"""Merging a refined schedule into one that is already playing: only the future may change."""

from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ScheduleRejected, ensure_safe


def merge_refinement(
    current: ModulationSchedule, refined: ModulationSchedule, cutoff_sec: float
) -> ModulationSchedule:
    """Keep `current`'s steps before `cutoff_sec`, take `refined`'s from it on.

    `cutoff_sec` is the session's elapsed time plus the lookahead: steps before it have been sent
    (or are about to be) and the browser has scheduled them, so they are the past. The result must
    pass the validator as a whole (the first new step must glide safely from the last kept one);
    otherwise ScheduleRejected is raised and `current` stands.
    """
    kept = [step for step in current.steps if step.timestamp_sec < cutoff_sec]
    future = [step for step in refined.steps if step.timestamp_sec >= cutoff_sec]
    if not future:
        raise ScheduleRejected([f"the refinement has no steps after {cutoff_sec:.1f} s"])
    return ensure_safe(
        ModulationSchedule(
            intent=current.intent, total_duration_sec=current.total_duration_sec, steps=kept + future
        )
    )
