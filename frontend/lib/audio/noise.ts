/** The noise bed's sources: pink and brown noise as stereo loops without a seam. */
import type { BaseContext } from "tone";

import type { NoiseColour } from "../types";

/** Length of one noise loop; a loop starts at a random point of it. */
export const NOISE_LOOP_SEC = 8;
const NOISE_SEAM_SEC = 0.5;

const made = new WeakMap<BaseContext, Partial<Record<Exclude<NoiseColour, "none">, AudioBuffer>>>();

/**
 * A stereo noise loop whose end flows into its start: the tail past the loop is crossfaded
 * (equal power) into the head, so the loop point has no step, unlike Tone.Noise's buffers.
 * Made once per context and colour (tens of milliseconds of work), then shared: every loop
 * starts at its own random point of it.
 */
export function seamlessNoise(context: BaseContext, colour: Exclude<NoiseColour, "none">): AudioBuffer {
  const kept = made.get(context) ?? {};
  made.set(context, kept);
  kept[colour] ??= noiseLoop(context, colour);
  return kept[colour];
}

function noiseLoop(context: BaseContext, colour: Exclude<NoiseColour, "none">): AudioBuffer {
  const sampleRate = context.sampleRate;
  const length = Math.round(NOISE_LOOP_SEC * sampleRate);
  const seam = Math.round(NOISE_SEAM_SEC * sampleRate);
  const buffer = context.createBuffer(2, length, sampleRate);
  const channels: Float32Array[] = [];
  let peak = 0;
  for (let channel = 0; channel < 2; channel++) {
    const raw = colour === "pink" ? pinkNoise(length + seam) : brownNoise(length + seam);
    const looped = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const head = raw[i] ?? 0;
      if (i < seam) {
        const angle = (Math.PI / 2) * (i / seam);
        looped[i] = head * Math.sin(angle) + (raw[length + i] ?? 0) * Math.cos(angle);
      } else {
        looped[i] = head;
      }
      peak = Math.max(peak, Math.abs(looped[i] ?? 0));
    }
    channels.push(looped);
  }
  channels.forEach((data, channel) => {
    const scaled = data.map((v) => v / (peak || 1));
    buffer.copyToChannel(scaled, channel);
  });
  return buffer;
}

/** Paul Kellet's economy pink filter over white noise (−3 dB/octave). */
function pinkNoise(length: number): Float32Array {
  const out = new Float32Array(length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  let b4 = 0;
  let b5 = 0;
  let b6 = 0;
  for (let i = 0; i < length; i++) {
    const white = Math.random() * 2 - 1;
    b0 = 0.99886 * b0 + white * 0.0555179;
    b1 = 0.99332 * b1 + white * 0.0750759;
    b2 = 0.969 * b2 + white * 0.153852;
    b3 = 0.8665 * b3 + white * 0.3104856;
    b4 = 0.55 * b4 + white * 0.5329522;
    b5 = -0.7616 * b5 - white * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + white * 0.5362;
    b6 = white * 0.115926;
  }
  return out;
}

/** Leaky-integrated white noise (−6 dB/octave); the leak keeps it centred on zero. */
function brownNoise(length: number): Float32Array {
  const out = new Float32Array(length);
  let last = 0;
  for (let i = 0; i < length; i++) {
    last = (last + 0.02 * (Math.random() * 2 - 1)) / 1.02;
    out[i] = last;
  }
  return out;
}
