import { describe, expect, it } from "vitest";

import { confidenceWords } from "@/features/session/PlanExplanation";
import { formatBeatHz, mediaTitle } from "@/features/session/mediaTitle";
import { wantsWakeChime } from "@/features/session/wakeChimePolicy";
import { phaseAt } from "@/lib/schedulePhase";
import type { ModulationSchedule, ModulationStep, PlanExplanation } from "@/lib/types";

const step = (timestamp_sec: number, binaural_freq: number, ramp_duration_sec = 60): ModulationStep => ({
  timestamp_sec,
  binaural_freq,
  ramp_duration_sec,
  target_bpm: 80,
  layer: "binaural",
  noise: "none",
});

const nap: ModulationSchedule = { intent: "power nap", total_duration_sec: 1200, steps: [step(0, 10, 0), step(60, 5), step(300, 4.5), step(1000, 11)] };
const focus: ModulationSchedule = { intent: "focus", total_duration_sec: 1800, steps: [step(0, 10, 0), step(90, 16), step(600, 14), step(1200, 15)] };

describe("where a session is, in words", () => {
  it("arrives, settles, holds, and for a return to alertness comes back", () => {
    expect([0, 59, 61, 299, 301, 999, 1001].map((sec) => phaseAt(nap, sec))).toEqual([
      "arriving",
      "arriving",
      "settling",
      "settling",
      "steady",
      "steady",
      "returning",
    ]);
    expect(phaseAt(focus, 1500)).toBe("steady"); // a last variation is not a return
  });

  it("titles the lock screen with the family, the phase and the beat", () => {
    expect(mediaTitle("Focus / study", focus, 120, 16)).toBe("Focus / study · settling · 16 Hz");
    expect(mediaTitle("", nap, 400, 4.5)).toBe("power nap · steady · 4.5 Hz");
    expect(formatBeatHz(9.96)).toBe("10 Hz");
    expect(formatBeatHz(12.4)).toBe("12 Hz");
  });
});

describe("the wake chime", () => {
  const explanation = (family: string, limits: string[] = []) => ({ reading: { family } as PlanExplanation["reading"], limits }) as PlanExplanation;

  it("follows the preference, and on auto naps, meditations and plans that end awake", () => {
    expect(wantsWakeChime("on", explanation("sleep"))).toBe(true);
    expect(wantsWakeChime("off", explanation("power_nap"))).toBe(false);
    expect(wantsWakeChime("auto", explanation("power_nap"))).toBe(true);
    expect(wantsWakeChime("auto", explanation("meditation"))).toBe(true);
    expect(wantsWakeChime("auto", explanation("relax", ["Ends by gliding back to an alert 11 Hz, so you come out of it awake."]))).toBe(true);
    expect(wantsWakeChime("auto", explanation("focus", ["Beats glide no faster than 0.2 Hz per second."]))).toBe(false);
    expect(wantsWakeChime("auto", null)).toBe(false);
  });
});

describe("what the ratings taught", () => {
  it("is worded by how sure it is", () => {
    expect(confidenceWords(0.1)).toMatch(/first hint/);
    expect(confidenceWords(0.4)).toBe("Taking shape");
    expect(confidenceWords(0.9)).toBe("Well established");
  });
});
