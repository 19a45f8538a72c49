/**
 * Sensory-safe set-up sounds: a "just audible" calibration tone and a one-ear headphones check.
 * Both are short, quiet and fade in and out; every node is disposed when they stop.
 */
import * as Tone from "tone";

import { clamp } from "./safetyLimits";

const CALIBRATION_HZ = 250;
const START_DB = -70;
const RISE_DB_PER_SEC = 2;
const MAX_DB = -10;
/** Comfortable listening sits well above the threshold of hearing; the cap allows +30 dB over it. */
export const CAP_HEADROOM_DB = 30;

export function capFromThreshold(thresholdGain: number): number {
  const cap = thresholdGain * 10 ** (CAP_HEADROOM_DB / 20);
  return clamp(Number(cap.toFixed(2)), 0.05, 1);
}

/** A tone that starts inaudibly quiet and rises slowly until the user says they hear it. */
export class CalibrationTone {
  private oscillator: Tone.Oscillator | null = null;
  private gain: Tone.Gain | null = null;
  private startedAt = 0;

  async start(): Promise<void> {
    await Tone.start();
    this.gain = new Tone.Gain(Tone.dbToGain(START_DB)).toDestination();
    this.oscillator = new Tone.Oscillator(CALIBRATION_HZ, "sine").connect(this.gain).start();
    const seconds = (MAX_DB - START_DB) / RISE_DB_PER_SEC;
    this.gain.gain.exponentialRampTo(Tone.dbToGain(MAX_DB), seconds);
    this.startedAt = Tone.now();
  }

  /** The gain now (linear), i.e. the level the user just heard. */
  level(): number {
    const db = Math.min(MAX_DB, START_DB + (Tone.now() - this.startedAt) * RISE_DB_PER_SEC);
    return Tone.dbToGain(db);
  }

  /** The volume cap that the level heard right now implies. */
  capFromLevelNow(): number {
    return capFromThreshold(this.level());
  }

  stop(): void {
    this.oscillator?.stop();
    this.oscillator?.dispose();
    this.gain?.dispose();
    this.oscillator = null;
    this.gain = null;
  }
}

/** One quiet second of tone in one ear, to check that the headphones are stereo and the right way round. */
export async function playInOneEar(side: "left" | "right", volume: number): Promise<void> {
  await Tone.start();
  const panner = new Tone.Panner(side === "left" ? -1 : 1).toDestination();
  const gain = new Tone.Gain(0).connect(panner);
  const oscillator = new Tone.Oscillator(330, "sine").connect(gain).start();
  const peak = Math.min(volume, 1) * 0.3;
  gain.gain.linearRampTo(peak, 0.2);
  gain.gain.linearRampTo(0, 0.3, Tone.now() + 1);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  oscillator.stop();
  for (const node of [oscillator, gain, panner]) node.dispose();
}
