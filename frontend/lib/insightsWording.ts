/**
 * What the insights say about one intent family, in words whose certainty follows the confidence
 * the server reports: "not enough ratings yet" only at zero, "first guess (27% sure, 2 ratings)"
 * below one half, "learned" from one half on (the server's own threshold for saying a finding,
 * backend/insights/recommend.py CONFIDENT).
 */
import type { FamilyInsights } from "./types";

export const CONFIDENT = 0.5;

export interface Wording {
  /** e.g. "First guess (27% sure, 2 ratings)". */
  headline: string;
  /** Where the recommendation comes from, in a sentence. */
  basis: string;
}

const BASIS: Record<FamilyInsights["source"], string> = {
  user: "Mostly from your own ratings.",
  neurotype: "Mostly from listeners like you; your own ratings take over as you rate.",
  everyone: "Mostly from all listeners here; your own ratings take over as you rate.",
  default: "Still close to the usual starting point; more ratings move it toward what you like.",
};

/** "27% sure"; a confidence above zero never reads as 0%. */
export function percentSure(confidence: number): string {
  const percent = Math.round(confidence * 100);
  return percent === 0 && confidence > 0 ? "under 1% sure" : `${percent}% sure`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** The ratings behind the recommendation: yours if there are any, else everyone else's it used. */
function evidence(family: FamilyInsights): string {
  const own = family.you.n_sessions;
  if (own > 0) return count(own, "rating");
  const others = family.evidence.filter((level) => level.level !== "user").reduce((sum, level) => sum + level.n_sessions, 0);
  return others > 0 ? `${count(others, "rating")} by others` : "no ratings";
}

export function describeConfidence(family: FamilyInsights): Wording {
  if (family.confidence <= 0) {
    const own = family.you.n_sessions;
    return {
      headline: own > 0 ? `Not enough ratings yet (${count(own, "rating")})` : "Not enough ratings yet",
      basis: "The usual starting point for this kind of session, varied a little so your ratings can teach it.",
    };
  }
  const how = `${percentSure(family.confidence)}, ${evidence(family)}`;
  return {
    headline: family.confidence >= CONFIDENT ? `Learned (${how})` : `First guess (${how})`,
    basis: BASIS[family.source],
  };
}
