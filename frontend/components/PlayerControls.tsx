"use client";

import type { Layer } from "@/lib/types";
import {
  balanceChanged,
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
