import { describe, expect, it } from "vitest";

import {
  advanceBeat,
  beatGlides,
  boundedBeatHz,
  followSchedule,
  glideSec,
  glidingHz,
  heardBeatHz,
  overrideBeat,
  rejoinSec,
  settlesAtSec,
  type BeatControl,
} from "@/lib/beatOverride";
import { MAX_BEAT_RATE_HZ_PER_SEC } from "@/lib/safetyLimits";
import { glideValueAt } from "@/lib/scheduleMath";
import type { ModulationSchedule, ModulationStep } from "@/lib/types";

function step(timestamp_sec: number, binaural_freq: number, ramp_duration_sec: number, extra: Partial<ModulationStep> = {}): ModulationStep {
  return { timestamp_sec, binaural_freq, ramp_duration_sec, target_bpm: 60, layer: "binaural", noise: "none", ...extra };
}

// 10 Hz, then 10 -> 14 Hz over [60, 80] (isochronic), then 14 -> 6 Hz over [300, 340].
const schedule: ModulationSchedule = {
  intent: "focus",
  total_duration_sec: 600,
  steps: [step(0, 10, 0), step(60, 14, 20, { layer: "isochronic" }), step(300, 6, 40)],
};

/** The steepest slope of `f` sampled every 0.05 s over [from, to]. */
function maxSlope(f: (t: number) => number, from: number, to: number): number {
  let worst = 0;
  for (let t = from; t < to; t += 0.05) worst = Math.max(worst, Math.abs(f(t + 0.05) - f(t)) / 0.05);
  return worst;
}

describe("bounds", () => {
  it("keeps manual targets inside the layer's range", () => {
    expect(boundedBeatHz(35, "binaural")).toBe(30);
    expect(boundedBeatHz(35, "isochronic")).toBe(35);
    expect(boundedBeatHz(50, "ambient")).toBe(40);
    expect(boundedBeatHz(0.1, "ambient")).toBe(0.5);
  });
});

describe("manual glides", () => {
  it("take 5 s per hertz", () => {
    expect(glideSec(10, 6)).toBeCloseTo(20, 10);
    expect(glideSec(6, 6)).toBe(0);
  });

  it("move at the safe rate and stop at the target", () => {
    expect(glidingHz(10, 6, 100, 100)).toBe(10);
    expect(glidingHz(10, 6, 100, 110)).toBeCloseTo(8, 10);
    expect(glidingHz(10, 6, 100, 200)).toBe(6);
    expect(glidingHz(6, 10, 0, 5)).toBeCloseTo(7, 10);
  });

  it("start from what is heard, even in the middle of another glide", () => {
    let control: BeatControl = overrideBeat(schedule, { mode: "schedule" }, 4, 30);
    expect(control).toEqual({ mode: "manual", fromHz: 10, targetHz: 4, atSec: 30 });
    control = overrideBeat(schedule, control, 12, 35); // heard 9 Hz at 35 s
    expect(control).toMatchObject({ fromHz: 9, targetHz: 12 });
    expect(heardBeatHz(schedule, control, 40)).toBeCloseTo(10, 10);
    expect(maxSlope((t) => heardBeatHz(schedule, control, t), 35, 80)).toBeLessThanOrEqual(MAX_BEAT_RATE_HZ_PER_SEC + 1e-6);
  });

  it("bound the target by the layer in force", () => {
    expect(overrideBeat(schedule, { mode: "schedule" }, 39, 10)).toMatchObject({ targetHz: 30 });
    expect(overrideBeat(schedule, { mode: "schedule" }, 39, 100)).toMatchObject({ targetHz: 39 });
  });

  it("bring a target above 30 Hz down, gliding, when a binaural step begins", () => {
    const high = overrideBeat(schedule, { mode: "schedule" }, 36, 100); // isochronic: 36 Hz allowed
    expect(advanceBeat(schedule, high, 299)).toBe(high);
    const later = advanceBeat(schedule, high, 300);
    expect(later).toMatchObject({ mode: "manual", targetHz: 30, atSec: 300 });
    expect(heardBeatHz(schedule, later, 300)).toBeCloseTo(heardBeatHz(schedule, high, 300), 10);
  });
});

describe("returning to the schedule", () => {
  const segments = beatGlides(schedule);

  it("is immediate when already on the curve", () => {
    expect(rejoinSec(10, segments, 20)).toBe(20);
    expect(followSchedule(schedule, { mode: "schedule" }, 20)).toEqual({ mode: "schedule" });
  });

  it("meets a held curve after |difference| / rate seconds", () => {
    expect(rejoinSec(4, segments, 100)).toBeCloseTo(100 + 10 / MAX_BEAT_RATE_HZ_PER_SEC, 6); // 4 -> 14 Hz
    expect(rejoinSec(20, segments, 100)).toBeCloseTo(130, 6);
  });

  it("meets a curve that comes towards it halfway", () => {
    // Ours 12 Hz at 300 s; the curve falls 14 -> 6 Hz at 0.2 Hz/s from 300 s. Rising to meet it,
    // the gap of 2 Hz closes at 0.4 Hz/s: at 305 s, at 13 Hz.
    expect(rejoinSec(12, segments, 300)).toBeCloseTo(305, 6);
    expect(heardBeatHz(schedule, { mode: "rejoin", fromHz: 12, atSec: 300 }, 302.5)).toBeCloseTo(12.5, 6);
  });

  it("meets a curve that crosses it", () => {
    // Ours at 12 Hz at 60 s; the curve rises 10 -> 14 at 0.2 Hz/s: it reaches 12 at 70 s but a
    // glide can meet it sooner by heading down to it: 12 − 0.2(t−60) = 10 + 0.2(t−60) at t = 65.
    expect(rejoinSec(12, segments, 60)).toBeCloseTo(65, 6);
  });

  it("never glides faster than the safe rate and ends on the schedule", () => {
    for (const [fromHz, atSec] of [
      [4, 50],
      [25, 70],
      [12, 310],
      [0.5, 590],
    ] as const) {
      const control: BeatControl = { mode: "rejoin", fromHz, atSec };
      const heard = (t: number): number => heardBeatHz(schedule, control, t);
      expect(heard(atSec)).toBeCloseTo(fromHz, 10);
      const settles = settlesAtSec(schedule, control) ?? atSec;
      expect(maxSlope(heard, atSec, settles + 30)).toBeLessThanOrEqual(MAX_BEAT_RATE_HZ_PER_SEC + 1e-6);
      expect(heard(settles + 1)).toBeCloseTo(glideValueAt(segments, settles + 1), 6);
      expect(advanceBeat(schedule, control, settles)).toEqual({ mode: "schedule" });
      expect(advanceBeat(schedule, control, settles - 0.5)).toBe(control);
    }
  });
});
