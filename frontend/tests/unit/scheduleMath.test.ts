import { describe, expect, it } from "vitest";

import { formatClock, glides, sampleCurve, stepIndexAt, valuesAt } from "@/lib/scheduleMath";
import type { ModulationSchedule, ModulationStep } from "@/lib/types";

function step(timestamp_sec: number, binaural_freq: number, ramp_duration_sec: number, extra: Partial<ModulationStep> = {}): ModulationStep {
  return { timestamp_sec, binaural_freq, ramp_duration_sec, target_bpm: 60, layer: "binaural", noise: "none", ...extra };
}

const schedule: ModulationSchedule = {
  intent: "focus",
  total_duration_sec: 600,
  steps: [
    step(0, 10, 0, { target_bpm: 70 }),
    step(60, 14, 20, { target_bpm: 90, layer: "isochronic", noise: "pink" }),
    step(300, 6, 40, { target_bpm: 60, layer: "ambient", noise: "brown" }),
  ],
};

describe("valuesAt", () => {
  it("holds the first step's values from the start", () => {
    expect(valuesAt(schedule, 0)).toEqual({ beatHz: 10, bpm: 70, layer: "binaural", noise: "none" });
    expect(valuesAt(schedule, 59.9).beatHz).toBe(10);
  });

  it("reads before the first step as the first step", () => {
    expect(valuesAt(schedule, -5)).toEqual(valuesAt(schedule, 0));
  });

  it("glides linearly from the previous value during the ramp", () => {
    expect(valuesAt(schedule, 60).beatHz).toBe(10);
    expect(valuesAt(schedule, 70).beatHz).toBeCloseTo(12, 10);
    expect(valuesAt(schedule, 70).bpm).toBeCloseTo(80, 10);
    expect(valuesAt(schedule, 75).beatHz).toBeCloseTo(13, 10);
    expect(valuesAt(schedule, 80).beatHz).toBe(14);
    expect(valuesAt(schedule, 320).beatHz).toBeCloseTo(10, 10);
  });

  it("switches layer and noise at the step's start (the engine crossfades them)", () => {
    expect(valuesAt(schedule, 59.99).layer).toBe("binaural");
    expect(valuesAt(schedule, 60)).toMatchObject({ layer: "isochronic", noise: "pink" });
  });

  it("holds the last step's targets after its ramp, to the end and beyond", () => {
    expect(valuesAt(schedule, 340)).toEqual({ beatHz: 6, bpm: 60, layer: "ambient", noise: "brown" });
    expect(valuesAt(schedule, 10_000).beatHz).toBe(6);
  });

  it("jumps on a zero ramp", () => {
    const stepped: ModulationSchedule = { ...schedule, steps: [step(0, 10, 0), step(30, 8, 0)] };
    expect(valuesAt(stepped, 29.999).beatHz).toBe(10);
    expect(valuesAt(stepped, 30).beatHz).toBe(8);
  });

  it("continues from a glide that the next step cut short", () => {
    // 10 → 20 over 20 s is cut at 10 s (value 15); the next step glides 15 → 5 over 10 s.
    const overlapping: ModulationSchedule = { ...schedule, steps: [step(0, 10, 0), step(10, 20, 20), step(20, 5, 10)] };
    expect(valuesAt(overlapping, 20).beatHz).toBeCloseTo(15, 10);
    expect(valuesAt(overlapping, 25).beatHz).toBeCloseTo(10, 10);
    expect(valuesAt(overlapping, 30).beatHz).toBe(5);
  });

  it("reads unsorted steps in time order", () => {
    const shuffled: ModulationSchedule = { ...schedule, steps: [...schedule.steps].reverse() };
    expect(valuesAt(shuffled, 70)).toEqual(valuesAt(schedule, 70));
  });
});

describe("glides", () => {
  it("lengthens short ramps to the minimum, as the engine's layer crossfades do", () => {
    const steps = [step(0, 10, 0), step(60, 10, 0.5, { layer: "isochronic" })];
    const isochronic = glides(steps, (s) => (s.layer === "isochronic" ? 1 : 0), 2);
    expect(isochronic[1]).toEqual({ startSec: 60, endSec: 62, from: 0, to: 1 });
  });
});

describe("stepIndexAt", () => {
  it("is the last step whose timestamp has been reached", () => {
    expect(stepIndexAt(schedule, 0)).toBe(0);
    expect(stepIndexAt(schedule, 59.999)).toBe(0);
    expect(stepIndexAt(schedule, 60)).toBe(1);
    expect(stepIndexAt(schedule, 299.9)).toBe(1);
    expect(stepIndexAt(schedule, 300)).toBe(2);
    expect(stepIndexAt(schedule, 1e6)).toBe(2);
  });

  it("is 0 before the first step and -1 for an empty schedule", () => {
    expect(stepIndexAt(schedule, -1)).toBe(0);
    expect(stepIndexAt({ ...schedule, steps: [] }, 10)).toBe(-1);
  });

  it("returns an index into the schedule as given, even if unsorted", () => {
    const shuffled: ModulationSchedule = { ...schedule, steps: [schedule.steps[2]!, schedule.steps[0]!, schedule.steps[1]!] };
    expect(stepIndexAt(shuffled, 100)).toBe(2);
  });
});

describe("sampleCurve", () => {
  it("samples evenly over the whole session, both ends included", () => {
    const curve = sampleCurve(schedule, 61);
    expect(curve).toHaveLength(61);
    expect(curve[0]).toMatchObject({ tSec: 0, beatHz: 10 });
    expect(curve[7]).toMatchObject({ tSec: 70 });
    expect(curve[7]?.beatHz).toBeCloseTo(12, 10);
    expect(curve[60]).toMatchObject({ tSec: 600, beatHz: 6, layer: "ambient" });
  });
});

describe("formatClock", () => {
  it("formats minutes and hours", () => {
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(65.9)).toBe("1:05");
    expect(formatClock(3599)).toBe("59:59");
    expect(formatClock(3600)).toBe("1:00:00");
    expect(formatClock(3 * 3600 + 7 * 60 + 5)).toBe("3:07:05");
    expect(formatClock(-3)).toBe("0:00");
    expect(formatClock(Number.NaN)).toBe("0:00");
  });
});
