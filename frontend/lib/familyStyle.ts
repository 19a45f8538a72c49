/**
 * How an intent family is told apart in charts: a colour and a marker shape (so the chart reads
 * without colour too), and its name in words. The names match the server's (GET /intents/families,
 * backend/schedules/explain.py); they are here as well so a chart can label itself before, or
 * without, that request.
 */
import type { IntentFamily } from "./types";

export type MarkerShape =
  | "circle"
  | "square"
  | "triangle"
  | "diamond"
  | "triangle-down"
  | "star"
  | "plus"
  | "cross"
  | "hexagon"
  | "ring";

interface FamilyStyle {
  label: string;
  /** Light enough for 3:1 against the chart's background (WCAG 1.4.11). */
  colour: string;
  shape: MarkerShape;
}

const STYLES: Record<IntentFamily, FamilyStyle> = {
  focus: { label: "Focus / study", colour: "#8fb8de", shape: "circle" },
  reading: { label: "Reading", colour: "#9fcfa8", shape: "square" },
  creative: { label: "Creative work", colour: "#e2c08d", shape: "triangle" },
  relax: { label: "Relax", colour: "#c3b6ec", shape: "diamond" },
  anxiety_relief: { label: "Anxiety relief", colour: "#f0a3a3", shape: "triangle-down" },
  meditation: { label: "Meditation", colour: "#7fd1c7", shape: "star" },
  power_nap: { label: "Power nap", colour: "#f2d675", shape: "plus" },
  sleep: { label: "Sleep", colour: "#a9b8ff", shape: "cross" },
  energise: { label: "Energise", colour: "#ffb37a", shape: "hexagon" },
  general: { label: "General calm focus", colour: "#d0d6e0", shape: "ring" },
};

const UNKNOWN: FamilyStyle = { label: "Other", colour: "#d0d6e0", shape: "ring" };

/** The family's style; an unknown family (a newer server) gets a plain ring and its own name. */
export function familyStyle(family: string, labels?: ReadonlyMap<string, string>): FamilyStyle {
  const known = (STYLES as Record<string, FamilyStyle | undefined>)[family];
  const label = labels?.get(family) ?? known?.label ?? family.replace(/_/g, " ");
  return { ...(known ?? UNKNOWN), label };
}

function polygon(points: [number, number][]): string {
  return `M${points.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join("L")}Z`;
}

function regular(cx: number, cy: number, r: number, corners: number, startRad: number): [number, number][] {
  return Array.from({ length: corners }, (_, i) => {
    const angle = startRad + (i * 2 * Math.PI) / corners;
    return [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
  });
}

/**
 * An SVG path for a marker of about the same visual weight as a circle of radius `r` at (cx, cy).
 * Strokes-only shapes (plus, cross, ring) are drawn as outlines: give them a stroke, no fill.
 */
export function markerPath(shape: MarkerShape, cx: number, cy: number, r: number): string {
  const up = -Math.PI / 2;
  switch (shape) {
    case "circle":
    case "ring":
      return `M${cx - r},${cy}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case "square":
      return polygon(regular(cx, cy, r * 1.25, 4, Math.PI / 4));
    case "diamond":
      return polygon(regular(cx, cy, r * 1.3, 4, up));
    case "triangle":
      return polygon(regular(cx, cy + r * 0.2, r * 1.45, 3, up));
    case "triangle-down":
      return polygon(regular(cx, cy - r * 0.2, r * 1.45, 3, -up));
    case "hexagon":
      return polygon(regular(cx, cy, r * 1.15, 6, 0));
    case "star": {
      const outer = regular(cx, cy, r * 1.45, 5, up);
      const inner = regular(cx, cy, r * 0.6, 5, up + Math.PI / 5);
      return polygon(outer.flatMap((point, i) => [point, inner[i]!]));
    }
    case "plus":
      return `M${cx - r * 1.2},${cy}H${cx + r * 1.2}M${cx},${cy - r * 1.2}V${cy + r * 1.2}`;
    case "cross": {
      const d = r * 0.9;
      return `M${cx - d},${cy - d}L${cx + d},${cy + d}M${cx - d},${cy + d}L${cx + d},${cy - d}`;
    }
  }
}

/** Whether the shape is drawn as a line (stroke) rather than filled. */
export function isOutline(shape: MarkerShape): boolean {
  return shape === "plus" || shape === "cross" || shape === "ring";
}
