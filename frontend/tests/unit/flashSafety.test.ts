import { describe, expect, it } from "vitest";

import { flashesPerSecond, smoothLevels } from "@/lib/flashSafety";

const FPS = 60;

/** Mean drawn level (a stand-in for screen luminance) of bars fed a signal gated at `rateHz`. */
function drawnLuminance(rateHz: number, seconds: number, smooth: boolean): number[] {
  let levels: Float32Array = new Float32Array(32);
  const out: number[] = [];
  for (let frame = 0; frame < seconds * FPS; frame += 1) {
    const on = Math.sin(2 * Math.PI * rateHz * (frame / FPS)) > 0 ? 1 : 0;
    const target = new Float32Array(32).fill(on);
    levels = smooth ? smoothLevels(levels, target, 1 / FPS) : target;
    out.push(levels.reduce((a, b) => a + b, 0) / levels.length);
  }
  return out;
}

describe("flash safety", () => {
  it("raw bars would flash at the gating rate", () => {
    expect(flashesPerSecond(drawnLuminance(8, 4, false), 1 / FPS)).toBeGreaterThan(3);
  });

  it.each([1, 2, 3, 3.5, 4, 6, 8, 12, 16, 24, 40])("smoothed bars flash at most 3 times a second with %i Hz gating", (rate) => {
    expect(flashesPerSecond(drawnLuminance(rate, 4, true), 1 / FPS)).toBeLessThanOrEqual(3);
  });

  it("still follows slow changes", () => {
    let levels: Float32Array = new Float32Array(1);
    for (let i = 0; i < 4 * FPS; i += 1) levels = smoothLevels(levels, [1], 1 / FPS);
    expect(levels[0]).toBeGreaterThan(0.95);
  });
});
