import { describe, expect, it } from "vitest";

import { clockFromFrame, clockFromRecord, clockRunning, clockSec } from "@/features/session/sessionClock";

const startedMs = Date.parse("2026-01-01T10:00:00Z");
const record = { started_at: "2026-01-01T10:00:00Z", paused_at: null, paused_sec: 0, ended_at: null, duration_sec: null };

describe("the session's clock", () => {
  it("runs from the start, less earlier pauses", () => {
    const clock = clockFromRecord({ ...record, paused_sec: 30 }, startedMs + 100_000);
    expect(clockSec(clock, startedMs + 100_000)).toBe(70);
    expect(clockSec(clock, startedMs + 110_000)).toBe(80);
  });

  it("stands still where a pause began", () => {
    const clock = clockFromRecord({ ...record, paused_sec: 10, paused_at: "2026-01-01T10:01:00Z" }, startedMs + 300_000);
    expect(clock.running).toBe(false);
    expect(clockSec(clock, startedMs + 900_000)).toBe(50);
  });

  it("reads an ended session as what was listened", () => {
    expect(clockSec(clockFromRecord({ ...record, ended_at: "2026-01-01T11:00:00Z", duration_sec: 1234 }, 0), 5_000_000)).toBe(1234);
  });

  it("takes a frame's clock as of its arrival, stopped while paused or over", () => {
    expect(clockSec(clockFromFrame({ elapsed_sec: 42, paused: false, type: "step" }, 1000), 3000)).toBe(44);
    expect(clockSec(clockFromFrame({ elapsed_sec: 42, paused: true, type: "paused" }, 1000), 3000)).toBe(42);
    expect(clockFromFrame({ elapsed_sec: 600, paused: false, type: "end" }, 0).running).toBe(false);
  });

  it("stops and starts again without a jump", () => {
    const running = { anchorSec: 10, anchorMs: 0, running: true };
    const stopped = clockRunning(running, false, 5000);
    expect(clockSec(stopped, 60_000)).toBe(15);
    expect(clockSec(clockRunning(stopped, true, 60_000), 62_000)).toBe(17);
    expect(clockRunning(running, true, 5000)).toBe(running);
  });
});
