import { describe, expect, it } from "vitest";

import { describeConfidence, percentSure } from "@/lib/insightsWording";
import type { FamilyInsights } from "@/lib/types";

function family(confidence: number, ownRatings: number, extra: Partial<FamilyInsights> = {}): FamilyInsights {
  return {
    family: "focus",
    confidence,
    source: "default",
    you: { n_sessions: ownRatings, mean_rating: ownRatings ? 4 : null },
    evidence: [],
    band: { beat_hz: { low: 12, high: 18 }, bpm: { low: 60, high: 90 } },
    clusters: [],
    offsets: { beat_hz: 0, bpm: 0 },
    recommended: { beat_hz: 15, bpm: 75 },
    ...extra,
  };
}

describe("describeConfidence", () => {
  it("says 'not enough ratings yet' only at zero confidence", () => {
    expect(describeConfidence(family(0, 0)).headline).toBe("Not enough ratings yet");
    expect(describeConfidence(family(0, 1)).headline).toBe("Not enough ratings yet (1 rating)");
  });

  it("calls a low confidence a first guess and says how sure, even when the default still weighs most", () => {
    const wording = describeConfidence(family(0.27, 2));
    expect(wording.headline).toBe("First guess (27% sure, 2 ratings)");
    expect(wording.headline).not.toMatch(/not enough/i);
    expect(wording.basis).toMatch(/starting point/);
  });

  it("says 'learned' from one half on", () => {
    expect(describeConfidence(family(0.63, 9, { source: "user" })).headline).toBe("Learned (63% sure, 9 ratings)");
  });

  it("counts others' ratings when you have none", () => {
    const others = family(0.2, 0, {
      source: "neurotype",
      evidence: [{ level: "neurotype", n_sessions: 14, n_users: 4, weight: 0.5, preferred: { beat_hz: 14, bpm: 70 } }],
    });
    expect(describeConfidence(others).headline).toBe("First guess (20% sure, 14 ratings by others)");
  });
});

describe("percentSure", () => {
  it("never rounds a confidence above zero down to 0%", () => {
    expect(percentSure(0.004)).toBe("under 1% sure");
    expect(percentSure(0.27)).toBe("27% sure");
  });
});
