/**
 * Whether a session that runs its course ends with the gentle wake chime: the listener's
 * `wake_chime` preference, where "auto" means naps and meditations, and any plan that says it
 * brings you back to alertness (the explanation's safety limits say so, in the server's words).
 */
import type { PlanExplanation, WakeChime } from "@/lib/types";

const WAKING_FAMILIES = new Set(["power_nap", "meditation"]);

export function wantsWakeChime(preference: WakeChime | undefined, explanation: PlanExplanation | null | undefined): boolean {
  if (preference === "on") return true;
  if (preference === "off") return false;
  if (!explanation) return false;
  return WAKING_FAMILIES.has(explanation.reading.family) || explanation.limits.some((limit) => /\bawake\b/i.test(limit));
}
