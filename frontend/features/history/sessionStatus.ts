/**
 * A past session in words: how it ended, how long it was listened to, whether it can still be
 * rated. "Playing" is said only while the server has no end for it (`ended_at` is null).
 */
import { formatClock } from "@/lib/scheduleMath";
import type { EndReason, SessionRecord } from "@/lib/types";

type StatusSource = Pick<SessionRecord, "ended_at" | "end_reason" | "paused_at">;

export type SessionState = EndReason | "playing" | "paused" | "over";

export function sessionState(session: StatusSource): SessionState {
  if (session.ended_at === null) return session.paused_at !== null ? "paused" : "playing";
  return session.end_reason ?? "over";
}

const LABELS: Record<SessionState, string> = {
  playing: "Playing",
  paused: "Paused",
  ended: "Ended by you",
  completed: "Completed",
  abandoned: "Abandoned (nobody listened to the end)",
  over: "Ended",
};

export function stateLabel(state: SessionState): string {
  return LABELS[state];
}

/** Listened time ("12:34"); pauses do not count. Unknown until the session ends. */
export function listenedLabel(session: Pick<SessionRecord, "duration_sec" | "ended_at">): string {
  if (session.ended_at === null || session.duration_sec === null) return "not yet known";
  return formatClock(session.duration_sec);
}

/** An ended session without a rating can be rated later (PATCH /sessions/{id}/end fills it). */
export function canRateLater(session: Pick<SessionRecord, "ended_at" | "rating">): boolean {
  return session.ended_at !== null && session.rating === null;
}
