"use client";

import { heardBeatHz, layerAt, settlesAtSec, type BeatControl } from "@/lib/beatOverride";
import { BEAT_HZ_MIN, beatMaxHz, clamp } from "@/lib/safetyLimits";
import type { ModulationSchedule } from "@/lib/types";
import { useAppDispatch, useAppSelector } from "@/stores/store";
import { beatFollowsSchedule, beatOverridden, selectBeat, selectElapsedSec, selectSchedule } from "./sessionSlice";

const hz = (value: number): string => `${value.toFixed(1)} Hz`;

/** What the beat is doing, in words: following, gliding by hand (and for how long), returning. */
function beatStatus(schedule: ModulationSchedule, beat: BeatControl, elapsedSec: number, heard: number): string {
  if (beat.mode === "schedule") return "Following the schedule.";
  const remainingSec = Math.max(0, (settlesAtSec(schedule, beat) ?? 0) - elapsedSec);
  const eta = remainingSec >= 1 ? ` (about ${Math.ceil(remainingSec)} s)` : "";
  if (beat.mode === "rejoin") return `Gliding back to the schedule${eta}.`;
  if (Math.abs(heard - beat.targetHz) < 0.05) return `Set by you to ${hz(beat.targetHz)}.`;
  return `Gliding to ${hz(beat.targetHz)}${eta}, never faster than 1 Hz per 5 s.`;
}

/**
 * Manual beat: bounded like a schedule (0.5–30 Hz binaural, 0.5–40 Hz pulses), and it glides.
 * It shows the beat heard now, so it follows the clock (the one control that does).
 */
export default function BeatSlider() {
  const dispatch = useAppDispatch();
  const schedule = useAppSelector(selectSchedule);
  const beat = useAppSelector(selectBeat);
  const elapsedSec = useAppSelector(selectElapsedSec);
  if (!schedule) return null;
  const layer = layerAt(schedule, elapsedSec);
  const maxHz = beatMaxHz(layer);
  const heard = heardBeatHz(schedule, beat, elapsedSec);
  const value = clamp(beat.mode === "manual" ? beat.targetHz : heard, BEAT_HZ_MIN, maxHz);
  return (
    <div role="group" aria-labelledby="beat-label">
      <label id="beat-label" htmlFor="beat">
        {layer === "binaural" ? "Beat" : "Pulse rate"} {hz(heard)} (range {BEAT_HZ_MIN}–{maxHz} Hz)
      </label>
      <input
        id="beat"
        type="range"
        min={BEAT_HZ_MIN}
        max={maxHz}
        step={0.5}
        value={value}
        aria-valuetext={`${value.toFixed(1)} hertz`}
        aria-describedby="beat-status"
        onChange={(e) => dispatch(beatOverridden(Number(e.target.value)))}
      />
      <div className="row">
        <span id="beat-status" className="muted">
          {beatStatus(schedule, beat, elapsedSec, heard)}
        </span>
        <button className="secondary" type="button" onClick={() => dispatch(beatFollowsSchedule())} disabled={beat.mode === "schedule"}>
          Follow the schedule
        </button>
      </div>
    </div>
  );
}
