import { describe, expect, it } from "vitest";

import { familyStyle, markerPath, type MarkerShape } from "@/lib/familyStyle";

const FAMILIES = ["focus", "reading", "creative", "relax", "anxiety_relief", "meditation", "power_nap", "sleep", "energise", "general"];

describe("familyStyle", () => {
  it("gives every family its own colour and its own shape", () => {
    const styles = FAMILIES.map((f) => familyStyle(f));
    expect(new Set(styles.map((s) => s.colour)).size).toBe(FAMILIES.length);
    expect(new Set(styles.map((s) => s.shape)).size).toBe(FAMILIES.length);
  });

  it("prefers the server's name and copes with a family it does not know", () => {
    expect(familyStyle("focus", new Map([["focus", "Focus / study (server)"]])).label).toBe("Focus / study (server)");
    expect(familyStyle("deep_sea").label).toBe("deep sea");
  });
});

describe("markerPath", () => {
  it("draws every shape as a path without NaN", () => {
    const shapes: MarkerShape[] = ["circle", "square", "triangle", "diamond", "triangle-down", "star", "plus", "cross", "hexagon", "ring"];
    for (const shape of shapes) {
      const d = markerPath(shape, 10, 20, 5);
      expect(d).toMatch(/^M/);
      expect(d).not.toMatch(/NaN/);
    }
  });
});
