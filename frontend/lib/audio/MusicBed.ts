import { Gain, Oscillator, ToneBufferSource, WaveShaper, type BaseContext, type ToneAudioNode } from "tone";

import { clamp } from "../safetyLimits";
import { PLAYBACK_RATE_MAX, PLAYBACK_RATE_MIN } from "../tempoMatch";
import type { ModulationStep } from "../types";
import { glideTo, type Binding } from "./automation";
import { LAYER_CROSSFADE_MIN_SEC, MUSIC_FADE_SEC, MUSIC_PEAK } from "./levels";
import type { MusicInfo, MusicPlan } from "./musicPlan";
import { OwnedNodes } from "./ownership";
import { amplitudeModulation } from "./shapers";

/**
 * One library track under the session: its looped source, tempo match and gentle AM. Created and
 * owned by a `SessionGraph`, which hands it the graph's ambient AM and the music input.
 *
 *   source (looped bars, playbackRate ← step tempo) ─ level (fade) ─┬─ dry ───────┬─ output
 *                                                                   └─ am ─ wet ──┘
 *   am.gain ← sharedAm (the graph's ambient AM curve)          when the track has no beat grid
 *   am.gain ← lockShaper ← lockOsc (cycles per beat × rate)     when locked to the track's beats
 *
 * The dry/wet crossfade follows the schedule: wet in ambient steps (or always, with entrainment).
 * Disposal follows `ownership.ts`: after `dispose()` its verbs are no-ops.
 */
export class MusicBed {
  private readonly nodes = new OwnedNodes();
  private readonly source: ToneBufferSource;
  private readonly level: Gain;
  private readonly dry: Gain;
  private readonly wet: Gain;
  private readonly am: Gain;
  private readonly lockOsc: Oscillator | null = null;
  private isDisposed = false;
  readonly info: MusicInfo;

  constructor(
    context: BaseContext,
    buffer: AudioBuffer,
    private readonly plan: MusicPlan,
    private readonly sharedAm: ToneAudioNode,
    output: ToneAudioNode,
  ) {
    this.info = {
      durationSec: buffer.duration,
      trackBpm: plan.trackBpm,
      tempoFactor: plan.tempoFactor,
      lockedToBeat: plan.cyclesPerBeat !== null,
    };
    const gain = (): Gain => this.nodes.add(new Gain({ context, gain: 0 }));
    this.source = this.nodes.add(
      new ToneBufferSource({
        context,
        url: buffer,
        loop: true,
        loopStart: plan.loopStartSec,
        loopEnd: plan.loopEndSec,
      }),
    );
    this.level = gain();
    this.dry = gain();
    this.am = gain();
    this.wet = gain();
    this.source.chain(this.level, this.dry, output);
    this.level.chain(this.am, this.wet, output);
    if (plan.cyclesPerBeat === null) {
      sharedAm.connect(this.am.gain);
    } else {
      // Phase 90° = cosine: the AM peak lands on the beat the source starts on.
      const lockOsc = this.nodes.add(new Oscillator({ context, type: "sine", frequency: 0, phase: 90 }));
      const lockShaper = this.nodes.add(new WaveShaper({ context, mapping: amplitudeModulation, length: 1024 }));
      lockOsc.connect(lockShaper);
      lockShaper.connect(this.am.gain);
      this.lockOsc = lockOsc;
    }
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Every node this bed created and will dispose; empty once disposed. */
  ownedNodes(): readonly ToneAudioNode[] {
    return this.nodes.list();
  }

  private playbackRate(step: ModulationStep): number {
    const { trackBpm, tempoFactor } = this.plan;
    if (trackBpm === null) return 1;
    return clamp(step.target_bpm / (trackBpm * tempoFactor), PLAYBACK_RATE_MIN, PLAYBACK_RATE_MAX);
  }

  /** The schedule-driven parameters of the track; none once disposed. */
  bindings(entrainMusic: boolean): Binding[] {
    if (this.isDisposed) return [];
    const wet = (s: ModulationStep): number => (entrainMusic || s.layer === "ambient" ? 1 : 0);
    const result: Binding[] = [
      { param: this.wet.gain, value: wet, minRampSec: LAYER_CROSSFADE_MIN_SEC },
      { param: this.dry.gain, value: (s) => 1 - wet(s), minRampSec: LAYER_CROSSFADE_MIN_SEC },
      { param: this.source.playbackRate, value: (s) => this.playbackRate(s), minRampSec: 0 },
    ];
    const { trackBpm, cyclesPerBeat } = this.plan;
    if (this.lockOsc && trackBpm !== null && cyclesPerBeat !== null) {
      // Same segments as the playback rate, so the AM stays on the (re-timed) beat grid.
      const hzPerRate = (cyclesPerBeat * trackBpm) / 60;
      result.push({ param: this.lockOsc.frequency, value: (s) => hzPerRate * this.playbackRate(s), minRampSec: 0 });
    }
    return result;
  }

  start(atSec: number): void {
    if (this.isDisposed) return;
    this.source.start(atSec, this.plan.offsetSec);
    this.lockOsc?.start(atSec);
    this.level.gain.setValueAtTime(0, atSec);
    this.level.gain.linearRampToValueAtTime(MUSIC_PEAK, atSec + MUSIC_FADE_SEC);
  }

  fadeOut(atSec: number, durationSec: number): void {
    if (this.isDisposed) return;
    glideTo(this.level.gain, 0, atSec, durationSec);
  }

  /** Must run before the graph disposes `sharedAm` (the graph sees to that). */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    if (this.plan.cyclesPerBeat === null) this.sharedAm.disconnect(this.am.gain);
    this.source.stop();
    this.lockOsc?.stop();
    this.nodes.disposeAll();
  }
}
