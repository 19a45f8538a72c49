"use client";

import type { UserPreferences } from "@/lib/types";
import { useAppDispatch, useAppSelector } from "@/stores/store";
import type { SoundMix } from "./localRecord";
import { mixChanged, noiseSwitched, selectMix, selectNoiseOn } from "./sessionSlice";

interface Props {
  savePreference: (change: Partial<UserPreferences>) => void;
  /** The listener's noise colour, kept when the noise is switched back on ("auto" if none). */
  noiseColour: UserPreferences["noise"];
}

const PARTS: { part: keyof SoundMix; label: string; preference: "tone_volume" | "noise_volume" | "music_volume" }[] = [
  { part: "tone", label: "Beats and pulses", preference: "tone_volume" },
  { part: "noise", label: "Noise", preference: "noise_volume" },
  { part: "music", label: "Your music", preference: "music_volume" },
];

/**
 * The mix: separate levels for beats and pulses, noise and music (all under the hard cap), and
 * the noise switched on or off. Each change is heard at once and saved as a preference.
 */
export default function SoundMixer({ savePreference, noiseColour }: Props) {
  const dispatch = useAppDispatch();
  const mix = useAppSelector(selectMix);
  const noiseOn = useAppSelector(selectNoiseOn);
  return (
    <fieldset>
      <legend>Mix (under your cap)</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={noiseOn}
          onChange={(e) => {
            dispatch(noiseSwitched(e.target.checked));
            savePreference({ noise: e.target.checked ? (noiseColour === "none" ? "auto" : noiseColour) : "none" });
          }}
        />
        <span>Background noise</span>
      </label>
      {PARTS.map(({ part, label, preference }) => (
        <div key={part}>
          <label htmlFor={`mix-${part}`}>
            {label} {Math.round(mix[part] * 100)}%
          </label>
          <input
            id={`mix-${part}`}
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={mix[part]}
            disabled={part === "noise" && !noiseOn}
            onChange={(e) => {
              const value = Number(e.target.value);
              dispatch(mixChanged({ part, value }));
              savePreference({ [preference]: value });
            }}
          />
        </div>
      ))}
    </fieldset>
  );
}
