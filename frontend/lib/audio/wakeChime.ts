/**
 * The wake chime: three soft bell tones rising a major triad, each with a quick, gentle attack and
 * a long decay, at a fifth of the volume cap. Its nodes are built for one chime and disposed when
 * it has faded (spec §5.2's ownership: nothing outlives the sound it made).
 */
import { Gain, Oscillator, getContext, type BaseContext } from "tone";

import { clamp } from "../safetyLimits";
import { OwnedNodes } from "./ownership";

/** C5, E5, G5: consonant, mid-pitched, nothing shrill. */
const CHIME_HZ = [523.25, 659.25, 783.99];
const NOTE_GAP_SEC = 0.45;
const ATTACK_SEC = 0.03;
const DECAY_SEC = 2.8;
/** The chime's peak, as a share of the listener's volume cap. */
const CHIME_PEAK = 0.2;

/** How long a chime lasts, from its first note to silence. */
export const WAKE_CHIME_SEC = NOTE_GAP_SEC * (CHIME_HZ.length - 1) + DECAY_SEC;

/** Plays the chime now under `volumeCap`; resolves once every node it built is disposed. */
export async function playWakeChime(volumeCap: number, context: BaseContext = getContext()): Promise<void> {
  if (context.state !== "running") await context.resume();
  const nodes = new OwnedNodes();
  const out = nodes.add(new Gain({ context, gain: clamp(volumeCap, 0, 1) * CHIME_PEAK }));
  out.connect(context.destination);
  const startSec = context.now() + 0.05;
  CHIME_HZ.forEach((hz, i) => {
    const atSec = startSec + i * NOTE_GAP_SEC;
    const tone = nodes.add(new Oscillator({ context, type: "sine", frequency: hz }));
    const envelope = nodes.add(new Gain({ context, gain: 0 }));
    tone.chain(envelope, out);
    envelope.gain.setValueAtTime(0, atSec);
    envelope.gain.linearRampToValueAtTime(1 / CHIME_HZ.length, atSec + ATTACK_SEC);
    envelope.gain.exponentialRampToValueAtTime(0.0001, atSec + DECAY_SEC);
    tone.start(atSec).stop(atSec + DECAY_SEC + 0.05);
  });
  await new Promise((resolve) => setTimeout(resolve, (startSec - context.currentTime + WAKE_CHIME_SEC + 0.2) * 1000));
  nodes.disposeAll();
}
