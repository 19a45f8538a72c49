/**
 * Where in its arc a session is, in a word, from the schedule alone: the planner's sessions arrive
 * (the first step), glide into their band (the second), hold there (the middle) and, for naps and
 * sessions that end awake, glide back up at the end. Used for the lock-screen title.
 */
import { stepIndexAt } from "./scheduleMath";
import type { ModulationSchedule } from "./types";

export type SessionPhase = "arriving" | "settling" | "steady" | "returning";

/** A final glide up by at least this much is a return to alertness, not another variation. */
const RETURN_RISE_HZ = 2;

export function phaseAt(schedule: ModulationSchedule, sec: number): SessionPhase {
  const steps = [...schedule.steps].sort((a, b) => a.timestamp_sec - b.timestamp_sec);
  const index = steps.indexOf(schedule.steps[stepIndexAt(schedule, sec)]!);
  if (index <= 0) return "arriving";
  if (index === 1) return "settling";
  const last = steps.length - 1;
  const previous = steps[last - 1];
  if (index === last && previous && steps[last]!.binaural_freq - previous.binaural_freq >= RETURN_RISE_HZ) return "returning";
  return "steady";
}
