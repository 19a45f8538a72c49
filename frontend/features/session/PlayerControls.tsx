"use client";

import { CARRIER_HZ_MAX, CARRIER_HZ_MIN } from "@/lib/safetyLimits";
import type { Layer, UserPreferences } from "@/lib/types";
import { useAppDispatch, useAppSelector } from "@/stores/store";
import BeatSlider from "./BeatSlider";
import {
  balanceChanged,
  carrierChanged,
  layerToggled,
  selectBalance,
  selectCarrierHz,
  selectConnection,
  selectLayers,
  selectPauseError,
  selectRefinedCount,
  selectSound,
  selectStatus,
  selectVolume,
  selectVolumeCap,
  volumeChanged,
} from "./sessionSlice";
import type { PlaybackStatus } from "./sessionState";
import type { Playback } from "./usePlayback";

interface Props {
  playback: Playback;
  savePreference: (change: Partial<UserPreferences>) => void;
}

const LAYERS: { layer: Layer; label: string }[] = [
  { layer: "binaural", label: "Binaural beats (headphones)" },
  { layer: "isochronic", label: "Isochronic pulses" },
  { layer: "ambient", label: "Ambient bed" },
];

const STATUS_WORDS: Record<PlaybackStatus, string> = {
  playing: "Playing",
  starting: "Starting…",
  paused: "Paused: the session's clock has stopped",
  idle: "Not playing on this device; the session's clock runs",
  ended: "Session over",
};

/** Play/pause, volume (under the cap), beat, carrier, balance and layers; each reads its own state. */
export default function PlayerControls({ playback, savePreference }: Props) {
  const dispatch = useAppDispatch();
  const status = useAppSelector(selectStatus);
  const sound = useAppSelector(selectSound);
  const pauseError = useAppSelector(selectPauseError);
  const connection = useAppSelector(selectConnection);
  const refinedCount = useAppSelector(selectRefinedCount);
  const volume = useAppSelector(selectVolume);
  const volumeCap = useAppSelector(selectVolumeCap);
  const carrierHz = useAppSelector(selectCarrierHz);
  const balance = useAppSelector(selectBalance);
  const layers = useAppSelector(selectLayers);
  const sounding = (status === "playing" || status === "starting") && sound !== "blocked";
  return (
    <section className="panel" aria-label="Player">
      <div className="row">
        <button className="primary" type="button" onClick={sounding ? playback.pause : playback.play} disabled={status === "ended"}>
          {sounding ? "Pause" : "Play"}
        </button>
        <span className="muted" role="status">
          {sound === "blocked" ? "Waiting for a tap: your browser lets sound start only after one" : STATUS_WORDS[status]} · stream{" "}
          {connection}
          {refinedCount > 0 ? ` · refined ${refinedCount}×` : ""}
        </span>
      </div>
      {pauseError ? (
        <p className="error" role="alert">
          {pauseError}
        </p>
      ) : null}
      <label htmlFor="volume">
        Volume {Math.round(volume * 100)}% (your cap: {Math.round(volumeCap * 100)}%)
      </label>
      <input
        id="volume"
        type="range"
        min={0}
        max={volumeCap}
        step={0.01}
        value={volume}
        onChange={(e) => dispatch(volumeChanged(Number(e.target.value)))}
      />
      <BeatSlider />
      <label htmlFor="carrier">Carrier tone {Math.round(carrierHz)} Hz</label>
      <input
        id="carrier"
        type="range"
        min={CARRIER_HZ_MIN}
        max={CARRIER_HZ_MAX}
        step={5}
        value={carrierHz}
        onChange={(e) => dispatch(carrierChanged(Number(e.target.value)))}
      />
      <label htmlFor="balance">Balance {balance === 0 ? "centre" : balance < 0 ? "left" : "right"}</label>
      <input
        id="balance"
        type="range"
        min={-1}
        max={1}
        step={0.05}
        value={balance}
        onChange={(e) => {
          const value = Number(e.target.value);
          dispatch(balanceChanged(value));
          savePreference({ balance: value });
        }}
      />
      <fieldset>
        <legend>Layers</legend>
        {LAYERS.map(({ layer, label }) => (
          <label key={layer} className="row">
            <input type="checkbox" checked={layers[layer]} onChange={() => dispatch(layerToggled(layer))} /> {label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}
