"use client";

import { heardBeatHz, layerAt, settlesAtSec } from "@/lib/beatOverride";
import { BEAT_HZ_MIN, beatMaxHz } from "@/lib/safetyLimits";
import type { Layer } from "@/lib/types";
import {
  balanceChanged,
  beatFollowsSchedule,
  beatOverridden,
  carrierChanged,
  layerToggled,
  volumeChanged,
  type SessionState,
} from "@/stores/sessionSlice";
import { useAppDispatch } from "@/stores/store";

interface Props {
  state: SessionState;
  onPlay: () => void;
  onPause: () => void;
}

const LAYERS: { layer: Layer; label: string }[] = [
  { layer: "binaural", label: "Binaural beats (headphones)" },
  { layer: "isochronic", label: "Isochronic pulses" },
  { layer: "ambient", label: "Ambient bed" },
];

const hz = (value: number): string => `${value.toFixed(1)} Hz`;

/** What the beat is doing, in words: following, gliding by hand (and for how long), returning. */
function beatStatus(state: SessionState, heard: number): string {
  const schedule = state.schedule;
  const beat = state.beat;
  if (!schedule || beat.mode === "schedule") return "Following the schedule.";
  const remainingSec = Math.max(0, (settlesAtSec(schedule, beat) ?? 0) - state.elapsedSec);
  const eta = remainingSec >= 1 ? ` (about ${Math.ceil(remainingSec)} s)` : "";
  if (beat.mode === "rejoin") return `Gliding back to the schedule${eta}.`;
  if (Math.abs(heard - beat.targetHz) < 0.05) return `Set by you to ${hz(beat.targetHz)}.`;
  return `Gliding to ${hz(beat.targetHz)}${eta}, never faster than 1 Hz per 5 s.`;
}

/** Manual beat: bounded like a schedule (0.5–30 Hz binaural, 0.5–40 Hz pulses), and it glides. */
function BeatSlider({ state }: { state: SessionState }) {
  const dispatch = useAppDispatch();
  const schedule = state.schedule;
  if (!schedule) return null;
  const layer = layerAt(schedule, state.elapsedSec);
  const maxHz = beatMaxHz(layer);
  const heard = heardBeatHz(schedule, state.beat, state.elapsedSec);
  const value = Math.min(maxHz, Math.max(BEAT_HZ_MIN, state.beat.mode === "manual" ? state.beat.targetHz : heard));
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
          {beatStatus(state, heard)}
        </span>
        <button
          className="secondary"
          type="button"
          onClick={() => dispatch(beatFollowsSchedule())}
          disabled={state.beat.mode === "schedule"}
        >
          Follow the schedule
        </button>
      </div>
    </div>
  );
}

export default function PlayerControls({ state, onPlay, onPause }: Props) {
  const dispatch = useAppDispatch();
  const playing = state.status === "playing";
  return (
    <section className="panel" aria-label="Player">
      <div className="row">
        <button className="primary" type="button" onClick={playing ? onPause : onPlay} disabled={state.status === "ended"}>
          {playing ? "Pause" : "Play"}
        </button>
        <span className="muted" role="status">
          {state.status === "ended" ? "Session over" : playing ? "Playing" : "Paused"} · stream {state.connection}
          {state.refinedCount > 0 ? ` · refined ${state.refinedCount}×` : ""}
        </span>
      </div>
      <label htmlFor="volume">
        Volume {Math.round(state.volume * 100)}% (your cap: {Math.round(state.volumeCap * 100)}%)
      </label>
      <input
        id="volume"
        type="range"
        min={0}
        max={state.volumeCap}
        step={0.01}
        value={state.volume}
        onChange={(e) => dispatch(volumeChanged(Number(e.target.value)))}
      />
      <BeatSlider state={state} />
      <label htmlFor="carrier">Carrier tone {Math.round(state.carrierHz)} Hz</label>
      <input
        id="carrier"
        type="range"
        min={100}
        max={500}
        step={5}
        value={state.carrierHz}
        onChange={(e) => dispatch(carrierChanged(Number(e.target.value)))}
      />
      <label htmlFor="balance">
        Balance {state.balance === 0 ? "centre" : state.balance < 0 ? "left" : "right"}
      </label>
      <input
        id="balance"
        type="range"
        min={-1}
        max={1}
        step={0.05}
        value={state.balance}
        onChange={(e) => dispatch(balanceChanged(Number(e.target.value)))}
      />
      <fieldset>
        <legend>Layers</legend>
        {LAYERS.map(({ layer, label }) => (
          <label key={layer} className="row">
            <input type="checkbox" checked={state.layers[layer]} onChange={() => dispatch(layerToggled(layer))} /> {label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}
