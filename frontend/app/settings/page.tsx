"use client";

import { useEffect, useRef, useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import { useMeQuery, useUpdateMeMutation } from "@/lib/api";
import { LISTENING_CHOICES, NEUROTYPE_CHOICES, NOISE_CHOICES, WAKE_CHIME_CHOICES } from "@/lib/preferenceOptions";
import { CARRIER_HZ_MAX, CARRIER_HZ_MIN, SESSION_MINUTES_MAX, SESSION_MINUTES_MIN } from "@/lib/safetyLimits";
import type { CalibrationTone } from "@/lib/soundCheck";
import type { Neurotype, User, UserPreferences } from "@/lib/types";

const MIX: { key: "tone_volume" | "noise_volume" | "music_volume"; label: string }[] = [
  { key: "tone_volume", label: "Beats and pulses" },
  { key: "noise_volume", label: "Noise" },
  { key: "music_volume", label: "Your music" },
];

const balanceWords = (balance: number): string =>
  balance === 0 ? "centre" : `${Math.round(Math.abs(balance) * 100)}% towards the ${balance < 0 ? "left" : "right"}`;

export default function SettingsPage() {
  const { data: me } = useMeQuery();
  if (!me) return <p className="muted">Loading…</p>;
  return <SettingsForm me={me} />;
}

function SettingsForm({ me }: { me: User }) {
  const [update, { isLoading, error, isSuccess }] = useUpdateMeMutation();
  const [saveCap, capSaved] = useUpdateMeMutation();
  const [prefs, setPrefs] = useState<UserPreferences>(me.preferences);
  const [neurotype, setNeurotype] = useState<Neurotype>(me.neurotype);
  const [calibrating, setCalibrating] = useState(false);
  const [earCheck, setEarCheck] = useState<string | null>(null);
  const tone = useRef<CalibrationTone | null>(null);

  useEffect(() => () => tone.current?.stop(), []);

  const set = <K extends keyof UserPreferences>(key: K, value: UserPreferences[K]) => setPrefs({ ...prefs, [key]: value });

  async function startCalibration() {
    const { CalibrationTone } = await import("@/lib/soundCheck"); // Tone.js only when needed
    tone.current = new CalibrationTone();
    await tone.current.start();
    setCalibrating(true);
  }

  /** The calibration ends: the cap is kept at once (only the cap; the form's other edits wait for Save). */
  function heardIt() {
    if (!tone.current) return;
    const cap = tone.current.capFromLevelNow();
    tone.current.stop();
    tone.current = null;
    setCalibrating(false);
    set("volume_max", cap);
    void saveCap({ preferences: { ...me.preferences, volume_max: cap } });
  }

  async function checkEar(side: "left" | "right") {
    setEarCheck(`Playing in your ${side} ear…`);
    const { playInOneEar } = await import("@/lib/soundCheck");
    await playInOneEar(side, prefs.volume_max);
    setEarCheck(`Did you hear it only in your ${side} ear? If both ears sounded the same, you are on speakers or mono: choose isochronic pulses below.`);
  }

  return (
    <>
      <section className="panel" aria-labelledby="calibration-heading">
        <h1 id="calibration-heading">Sound set-up</h1>
        <h2>1. How loud is loud enough?</h2>
        <p>
          A quiet tone starts below hearing and rises slowly. Press the button as soon as you can just hear it. Your
          volume cap is set from that point; the player can never go above it.
        </p>
        {calibrating ? (
          <button className="primary" type="button" onClick={heardIt}>
            I can hear it now
          </button>
        ) : (
          <button className="secondary" type="button" onClick={startCalibration}>
            Start the quiet tone
          </button>
        )}
        <p>
          Volume cap: <strong>{Math.round(prefs.volume_max * 100)}%</strong>
        </p>
        {capSaved.isSuccess ? <p role="status">Your volume cap is saved.</p> : null}
        <ErrorAlert error={capSaved.error} />
        <h2>2. Headphones check</h2>
        <p>Binaural beats need stereo headphones. Play a tone in one ear at a time:</p>
        <button className="secondary" type="button" onClick={() => checkEar("left")}>
          Left ear
        </button>
        <button className="secondary" type="button" onClick={() => checkEar("right")}>
          Right ear
        </button>
        {earCheck ? <p role="status">{earCheck}</p> : null}
      </section>
      <form
        className="panel"
        onSubmit={(event) => {
          event.preventDefault();
          void update({ neurotype, preferences: prefs });
        }}
      >
        <h2>Preferences</h2>
        <label htmlFor="layer">How you listen</label>
        <select id="layer" value={prefs.preferred_layer} onChange={(e) => set("preferred_layer", e.target.value as UserPreferences["preferred_layer"])}>
          {LISTENING_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        <label htmlFor="noise">Background noise</label>
        <select id="noise" value={prefs.noise} onChange={(e) => set("noise", e.target.value as UserPreferences["noise"])}>
          {NOISE_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        <label htmlFor="balance">Balance: {balanceWords(prefs.balance)}</label>
        <input id="balance" type="range" min={-1} max={1} step={0.05} value={prefs.balance} onChange={(e) => set("balance", Number(e.target.value))} />
        {MIX.map(({ key, label }) => (
          <div key={key}>
            <label htmlFor={key}>
              {label}: {Math.round(prefs[key] * 100)}% of your cap
            </label>
            <input id={key} type="range" min={0} max={1} step={0.05} value={prefs[key]} onChange={(e) => set(key, Number(e.target.value))} />
          </div>
        ))}
        <label htmlFor="wake-chime">A gentle chime when a session runs its course</label>
        <select id="wake-chime" value={prefs.wake_chime} onChange={(e) => set("wake_chime", e.target.value as UserPreferences["wake_chime"])}>
          {WAKE_CHIME_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        <label htmlFor="carrier">Carrier tone: {Math.round(prefs.carrier_hz)} Hz</label>
        <input id="carrier" type="range" min={CARRIER_HZ_MIN} max={CARRIER_HZ_MAX} step={5} value={prefs.carrier_hz} onChange={(e) => set("carrier_hz", Number(e.target.value))} />
        <label htmlFor="duration">Default length: {prefs.default_duration_min} minutes</label>
        <input id="duration" type="range" min={SESSION_MINUTES_MIN} max={SESSION_MINUTES_MAX} step={5} value={prefs.default_duration_min} onChange={(e) => set("default_duration_min", Number(e.target.value))} />
        <label htmlFor="neurotype">What shapes your sessions</label>
        <select id="neurotype" value={neurotype} onChange={(e) => setNeurotype(e.target.value as Neurotype)}>
          {NEUROTYPE_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        <label className="row">
          <input type="checkbox" checked={prefs.reduced_motion} onChange={(e) => set("reduced_motion", e.target.checked)} /> Keep the visuals still
        </label>
        <ErrorAlert error={error} />
        {isSuccess ? <p role="status">Saved.</p> : null}
        <button className="primary" type="submit" disabled={isLoading}>
          Save preferences
        </button>
      </form>
    </>
  );
}
