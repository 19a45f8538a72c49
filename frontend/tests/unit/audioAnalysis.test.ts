import { describe, expect, it } from "vitest";

import { envelopeRateHz, fftPeakHz, maxSampleJump } from "../e2e/audioAnalysis.mjs";

const SAMPLE_RATE = 44100;
const DURATION_SEC = 2;

function render(fn: (tSec: number) => number): Float32Array {
  const out = new Float32Array(SAMPLE_RATE * DURATION_SEC);
  for (let i = 0; i < out.length; i++) out[i] = fn(i / SAMPLE_RATE);
  return out;
}

const sine = (hz: number, amplitude = 0.2) => (t: number) => amplitude * Math.sin(2 * Math.PI * hz * t);

/** The engine's isochronic gate shape: raised-cosine edges, silent about a third of each cycle. */
function gate(rateHz: number, t: number): number {
  const u = (Math.sin(2 * Math.PI * rateHz * t) + 1) / 2;
  const edge = Math.min(1, Math.max(0, (u - 0.2) / 0.6));
  return 0.5 - 0.5 * Math.cos(Math.PI * edge);
}

describe("fftPeakHz", () => {
  it("finds each ear of a binaural pair to within 0.1 Hz", () => {
    const left = render(sine(195.3));
    const right = render(sine(205.3));
    const leftHz = fftPeakHz(left, SAMPLE_RATE, { minHz: 100, maxHz: 500 });
    const rightHz = fftPeakHz(right, SAMPLE_RATE, { minHz: 100, maxHz: 500 });
    expect(leftHz).toBeCloseTo(195.3, 1);
    expect(rightHz).toBeCloseTo(205.3, 1);
    expect(rightHz - leftHz).toBeCloseTo(10, 1);
  });

  it("finds the louder of two close tones in one channel, and respects the band", () => {
    const mix = render((t) => sine(200)(t) + sine(243.7, 0.05)(t));
    expect(fftPeakHz(mix, SAMPLE_RATE, { minHz: 100, maxHz: 500 })).toBeCloseTo(200, 1);
    expect(fftPeakHz(mix, SAMPLE_RATE, { minHz: 220, maxHz: 500 })).toBeCloseTo(243.7, 1);
  });

  it("still resolves a quiet tone under noise", () => {
    let seed = 1;
    const noise = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    const noisy = render((t) => sine(312.4, 0.05)(t) + 0.1 * noise());
    expect(fftPeakHz(noisy, SAMPLE_RATE, { minHz: 100, maxHz: 500 })).toBeCloseTo(312.4, 1);
  });
});

describe("envelopeRateHz", () => {
  it.each([2.5, 7.5, 12, 40])("finds a %s Hz gate on a 200 Hz carrier", (rateHz) => {
    const gated = render((t) => gate(rateHz, t) * sine(200)(t));
    expect(Math.abs(envelopeRateHz(gated, SAMPLE_RATE) - rateHz)).toBeLessThan(0.1);
  });

  it("finds a gentle 30 % amplitude modulation", () => {
    const am = render((t) => (1 - 0.15 * (1 - Math.sin(2 * Math.PI * 6 * t))) * sine(150)(t));
    expect(Math.abs(envelopeRateHz(am, SAMPLE_RATE) - 6)).toBeLessThan(0.1);
  });
});

describe("maxSampleJump", () => {
  it("is the sine's slope for a smooth tone and the step for a click", () => {
    const smooth = render(sine(200));
    const slope = 0.2 * 2 * Math.PI * (200 / SAMPLE_RATE);
    expect(maxSampleJump(smooth)).toBeCloseTo(slope, 4);
    const clicked = Float32Array.from(smooth);
    clicked[1000] = (clicked[1000] ?? 0) + 0.5;
    expect(maxSampleJump(clicked)).toBeGreaterThan(0.45);
    expect(maxSampleJump([0, 0.1, -0.2])).toBeCloseTo(0.3, 10);
  });
});
