/**
 * Ends (and ratings) that could not reach the server yet, kept in localStorage until they do.
 * Ending is idempotent on the server (PATCH /sessions/{id}/end fills a missing rating; only a
 * contradicting one is refused), so an end may be sent again safely after any failure.
 */
import type { SessionEnd } from "@/lib/types";

export interface PendingEnd {
  sessionId: number;
  body: SessionEnd;
  queuedAtMs: number;
}

/** What to do with a pending end after one attempt to send it. */
export type SendOutcome = "sent" | "retry" | "refused";

const KEY = "neurotune.pendingEnds";
const listeners = new Set<() => void>();

function browserStorage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null;
  }
}

export function pendingEnds(storage: Storage | null = browserStorage()): PendingEnd[] {
  try {
    const value: unknown = JSON.parse(storage?.getItem(KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((item: Partial<PendingEnd>) => Number.isInteger(item?.sessionId) && item.body) : [];
  } catch {
    return [];
  }
}

function save(ends: PendingEnd[], storage: Storage | null): void {
  try {
    if (ends.length > 0) storage?.setItem(KEY, JSON.stringify(ends));
    else storage?.removeItem(KEY);
  } catch {
    // Full or disabled storage: the end stays in memory for this visit only.
  }
  for (const listener of listeners) listener();
}

/** Keeps an end to send; a later one for the same session adds what it says to the earlier one. */
export function queueEnd(end: PendingEnd, storage: Storage | null = browserStorage()): void {
  const ends = pendingEnds(storage);
  const earlier = ends.find((item) => item.sessionId === end.sessionId);
  const body: SessionEnd = { ...earlier?.body, ...Object.fromEntries(Object.entries(end.body).filter(([, v]) => v != null)) };
  save([...ends.filter((item) => item.sessionId !== end.sessionId), { ...end, body }], storage);
}

export function settleEnd(sessionId: number, storage: Storage | null = browserStorage()): void {
  const ends = pendingEnds(storage);
  if (ends.some((item) => item.sessionId === sessionId)) save(ends.filter((item) => item.sessionId !== sessionId), storage);
}

export function pendingEndFor(sessionId: number, storage: Storage | null = browserStorage()): PendingEnd | null {
  return pendingEnds(storage).find((item) => item.sessionId === sessionId) ?? null;
}

/** Calls `listener` whenever this page changes the outbox; returns the unsubscribe. */
export function watchOutbox(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * An HTTP status (or RTK Query's "FETCH_ERROR" and friends) as an outcome: the network or a
 * server that cannot write now (5xx, 429) is worth a retry, and so is 401 (it is sent once the
 * listener signs in again); 404 and 409 never change by waiting.
 */
export function outcomeOf(status: number | string | undefined): SendOutcome {
  if (status === undefined) return "sent";
  if (typeof status === "string") return "retry";
  if (status >= 200 && status < 300) return "sent";
  if (status >= 500 || status === 429 || status === 408 || status === 401) return "retry";
  return "refused";
}
