import { describe, expect, it, vi } from "vitest";

import { outcomeOf, pendingEndFor, pendingEnds, queueEnd, settleEnd, watchOutbox } from "@/features/session/endOutbox";

/** A Storage kept in a Map, as localStorage would keep it. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

describe("the outbox of ends", () => {
  it("keeps an end per session, adding a later rating to an earlier end", () => {
    const storage = memoryStorage();
    queueEnd({ sessionId: 3, body: {}, queuedAtMs: 1 }, storage);
    queueEnd({ sessionId: 4, body: { rating: 2 }, queuedAtMs: 2 }, storage);
    queueEnd({ sessionId: 3, body: { rating: 5, feedback_note: null }, queuedAtMs: 3 }, storage);
    expect(pendingEnds(storage).map((end) => [end.sessionId, end.body])).toEqual([
      [4, { rating: 2 }],
      [3, { rating: 5 }],
    ]);
    settleEnd(3, storage);
    expect(pendingEndFor(3, storage)).toBeNull();
    settleEnd(4, storage);
    expect(storage.getItem("neurotune.pendingEnds")).toBeNull();
  });

  it("survives what another version or a hand wrote there", () => {
    const storage = memoryStorage();
    storage.setItem("neurotune.pendingEnds", "{not json");
    expect(pendingEnds(storage)).toEqual([]);
    storage.setItem("neurotune.pendingEnds", JSON.stringify([{ sessionId: "x" }, { sessionId: 2, body: {} }]));
    expect(pendingEnds(storage).map((end) => end.sessionId)).toEqual([2]);
  });

  it("tells its watchers about every change", () => {
    const storage = memoryStorage();
    const listener = vi.fn();
    const stop = watchOutbox(listener);
    queueEnd({ sessionId: 1, body: {}, queuedAtMs: 0 }, storage);
    settleEnd(1, storage);
    stop();
    queueEnd({ sessionId: 1, body: {}, queuedAtMs: 0 }, storage);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it("retries what waiting can mend, and gives up on what it cannot", () => {
    expect(outcomeOf(undefined)).toBe("sent");
    expect(outcomeOf(200)).toBe("sent");
    for (const status of ["FETCH_ERROR", "TIMEOUT_ERROR", 503, 500, 429, 401]) expect(outcomeOf(status)).toBe("retry");
    for (const status of [404, 409, 422]) expect(outcomeOf(status)).toBe("refused");
  });
});
