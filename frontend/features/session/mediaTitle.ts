/** The lock-screen title: what the session is for, where it is in its arc, and the beat now. */
import { phaseAt } from "@/lib/schedulePhase";
import type { ModulationSchedule } from "@/lib/types";

/** "4.5 Hz" below 10 Hz (a half hertz matters there), "16 Hz" above. */
export function formatBeatHz(hz: number): string {
  return hz < 10 ? `${Number(hz.toFixed(1))} Hz` : `${Math.round(hz)} Hz`;
}

/** e.g. "Focus / study · settling · 16 Hz"; the intent itself when the plan has no label. */
export function mediaTitle(label: string, schedule: ModulationSchedule, sec: number, beatHz: number): string {
  return [label || schedule.intent, phaseAt(schedule, sec), formatBeatHz(beatHz)].join(" · ");
}
