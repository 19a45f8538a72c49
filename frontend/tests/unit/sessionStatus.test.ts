import { describe, expect, it } from "vitest";

import { canRateLater, listenedLabel, sessionState, stateLabel } from "@/features/history/sessionStatus";

const open = { ended_at: null, end_reason: null, paused_at: null, duration_sec: null, rating: null };
const ended = { ...open, ended_at: "2025-03-04T10:30:00Z", duration_sec: 754 };

describe("sessionState", () => {
  it("is playing only while the session has no end", () => {
    expect(sessionState(open)).toBe("playing");
    expect(sessionState({ ...open, paused_at: "2025-03-04T10:10:00Z" })).toBe("paused");
    expect(sessionState({ ...ended, end_reason: "abandoned" })).toBe("abandoned");
    expect(sessionState({ ...ended, end_reason: "completed" })).toBe("completed");
    expect(sessionState({ ...ended, end_reason: null })).toBe("over"); // ended before reasons were kept
  });

  it("reads as words", () => {
    expect(stateLabel("ended")).toBe("Ended by you");
    expect(stateLabel("over")).toBe("Ended");
  });
});

describe("listenedLabel", () => {
  it("gives the listened time once the session has ended", () => {
    expect(listenedLabel(ended)).toBe("12:34");
    expect(listenedLabel(open)).toBe("not yet known");
  });
});

describe("canRateLater", () => {
  it("is true for an ended, unrated session only", () => {
    expect(canRateLater(ended)).toBe(true);
    expect(canRateLater({ ...ended, rating: 3 })).toBe(false);
    expect(canRateLater(open)).toBe(false);
  });
});
