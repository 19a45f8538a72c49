/**
 * The session's own clock, as the server keeps it: seconds listened, standing still while the
 * session is paused. The page never counts by itself from `started_at` alone; it anchors on what
 * the server said (the stored session, then every live frame) and runs on from there.
 */
import type { ModulationUpdate, SessionRecord } from "@/lib/types";

/** `anchorSec` of session time at wall-clock `anchorMs`, moving on in real time while `running`. */
export interface SessionClock {
  anchorSec: number;
  anchorMs: number;
  running: boolean;
}

export const stoppedClock = (sec = 0): SessionClock => ({ anchorSec: sec, anchorMs: 0, running: false });

/** Session seconds on `clock` at wall-clock `nowMs` (never negative). */
export function clockSec(clock: SessionClock, nowMs: number): number {
  const sec = clock.running ? clock.anchorSec + (nowMs - clock.anchorMs) / 1000 : clock.anchorSec;
  return Math.max(0, sec);
}

/** The clock of a stored session: started, minus earlier pauses, frozen at the current pause. */
export function clockFromRecord(
  session: Pick<SessionRecord, "started_at" | "paused_at" | "paused_sec" | "ended_at" | "duration_sec">,
  nowMs: number,
): SessionClock {
  if (session.ended_at) return stoppedClock(session.duration_sec ?? 0);
  const startedMs = Date.parse(session.started_at);
  const pausedAtMs = session.paused_at ? Date.parse(session.paused_at) : null;
  const untilMs = pausedAtMs ?? nowMs;
  return { anchorSec: Math.max(0, (untilMs - startedMs) / 1000 - session.paused_sec), anchorMs: nowMs, running: pausedAtMs === null };
}

/** The clock a live frame states: `elapsed_sec` now (on receipt), running unless paused or over. */
export function clockFromFrame(frame: Pick<ModulationUpdate, "elapsed_sec" | "paused" | "type">, nowMs: number): SessionClock {
  return { anchorSec: frame.elapsed_sec, anchorMs: nowMs, running: !frame.paused && frame.type !== "end" };
}

/** The same clock, stopped (a pause) or started (a resume) at `nowMs`, without a jump. */
export function clockRunning(clock: SessionClock, running: boolean, nowMs: number): SessionClock {
  if (clock.running === running) return clock;
  return { anchorSec: clockSec(clock, nowMs), anchorMs: nowMs, running };
}
