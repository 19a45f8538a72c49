import { describe, expect, it } from "vitest";

import { timeDomain, timeTicks } from "@/lib/timeAxis";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso).getTime();

describe("timeTicks", () => {
  it("puts round minutes on a short range, never more than asked", () => {
    const start = at("2025-03-04T10:02:17");
    const ticks = timeTicks(start, start + HOUR, 4);
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks.length).toBeLessThanOrEqual(4);
    for (const tick of ticks) {
      const d = new Date(tick.t);
      expect(d.getMinutes() % 15).toBe(0);
      expect(d.getSeconds()).toBe(0);
      expect(tick.t).toBeGreaterThanOrEqual(start);
    }
  });

  it("gives the date with the first time of day, and again when the day changes", () => {
    const start = at("2025-03-04T20:00:00");
    const ticks = timeTicks(start, start + 8 * HOUR, 4);
    const days = ticks.filter((t) => /Mar/.test(t.label));
    expect(days.length).toBe(2); // the first tick, and the first after midnight
  });

  it("steps by days over weeks, at local midnight", () => {
    const start = at("2025-03-01T09:30:00");
    const ticks = timeTicks(start, start + 20 * DAY, 6);
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (const tick of ticks) expect(new Date(tick.t).getHours()).toBe(0);
  });

  it("steps by months over a year, on the first", () => {
    const start = at("2024-01-15T12:00:00");
    const ticks = timeTicks(start, start + 400 * DAY, 5);
    expect(ticks.length).toBeGreaterThan(1);
    expect(ticks.length).toBeLessThanOrEqual(5);
    for (const tick of ticks) expect(new Date(tick.t).getDate()).toBe(1);
  });

  it("has nothing to say about an empty range", () => {
    expect(timeTicks(5, 5, 3)).toEqual([]);
    expect(timeTicks(0, DAY, 0)).toEqual([]);
  });
});

describe("timeDomain", () => {
  it("gives a single moment an hour around it", () => {
    const [start, end] = timeDomain([at("2025-03-04T10:00:00")]);
    expect(end - start).toBeGreaterThanOrEqual(HOUR);
    expect((start + end) / 2).toBe(at("2025-03-04T10:00:00"));
  });

  it("leaves room on both sides of a longer range", () => {
    const [start, end] = timeDomain([0, 10 * DAY]);
    expect(start).toBeLessThan(0);
    expect(end).toBeGreaterThan(10 * DAY);
  });
});
