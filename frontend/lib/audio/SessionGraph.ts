import {
  Analyser,
  Gain,
  Merge,
  Oscillator,
  Signal,
  Split,
  ToneBufferSource,
  WaveShaper,
  type BaseContext,
  type ToneAudioNode,
} from "tone";

import { clamp, rateHz } from "../safetyLimits";
import type { Layer, ModulationStep } from "../types";
import { glideTo, type Binding } from "./automation";
import {
  AMBIENT_TONE_PEAK,
  CONTROL_GLIDE_SEC,
  LAYER_CROSSFADE_MIN_SEC,
  LAYER_TOGGLE_SEC,
  MUSIC_FADE_SEC,
  NOISE_AMBIENT_PEAK,
  NOISE_BED_PEAK,
  TONE_PEAK,
} from "./levels";
import { MusicBed } from "./MusicBed";
import type { MusicPlan } from "./musicPlan";
import { NOISE_LOOP_SEC, seamlessNoise } from "./noise";
import { OwnedNodes } from "./ownership";
import { balanceGains, type EngineLayer, type EngineSettings, type MixPart } from "./engineSettings";
import { amplitudeModulation, pulseGate } from "./shapers";

/**
 * Every node of one playing session: built and wired in the constructor, freed in `dispose`.
 * It also creates and owns the `MusicBed` of the current track (and of tracks still fading out).
 *
 * Graph (all levels are peak gains, modest so that the sum stays below full scale at cap 1):
 *
 *   carrier ─┬─ (+rate·½) ─ oscR ┐
 *            ├─ (−rate·½) ─ oscL ┴ merge L/R ─ binauralLevel ─ binauralEnable ──────────┐
 *            └─ monoOsc ─┬─ isoGate(gain ← pulseShaper ← rateOsc) ─ isoLevel ─ isoEnable ─┤
 *                        └─ toneAM(gain ← amShaper ← rateOsc) ─ ambientToneLevel ─ ambientEnable ─┤
 *                                                                          toneMix (mix.tone) ─┤
 *   pink/brown loops ─ colour levels ─ noiseMix ─┬─ noiseDry ───────────────────── noiseEnable ─┤
 *                                                └─ noiseAM ─ noiseWet ─ ambientNoiseEnable ─┘ │
 *                                                                      noiseVolume (mix.noise) ─┤
 *   MusicBed (track; its AM ← amShaper) ─ musicInput (enable) ─ musicVolume (mix.music) ────────┤
 *   bus (stereo) ─ split ─ left/right balance ─ merge ─ fade (0..1) ─ cap (≤ volumeCap) ─ out + analyser
 *
 * The mix levels are 0..1 and sit before the cap, so nothing they do can pass it.
 *
 * Binaural layout is symmetric: left = carrier − beat/2, right = carrier + beat/2, so the pitch
 * you hear stays at the carrier while the difference is exactly the step's beat frequency.
 * Disposal follows `ownership.ts`: after `dispose()` its verbs are no-ops.
 */
export class SessionGraph {
  private readonly nodes = new OwnedNodes();
  private readonly oscillators: Oscillator[];
  private readonly noiseLoops: ToneBufferSource[];
  private readonly enables: Record<EngineLayer, Gain[]>;
  private readonly balanceLeft: Gain;
  private readonly balanceRight: Gain;
  private readonly fade: Gain;
  private readonly cap: Gain;
  /** The ambient AM curve (1 − depth … 1 at the step's rate), shared with the music bed. */
  private readonly amShaper: WaveShaper;
  private readonly musicInput: Gain;
  private readonly mixLevels: Record<MixPart, Gain>;
  private readonly scheduleBindings: Binding[];
  private music: MusicBed | null = null;
  private readonly retiringMusic = new Map<MusicBed, ReturnType<typeof setTimeout>>();
  private isDisposed = false;
  readonly carrier: Signal<"frequency">;
  /** The beat / pulse / modulation rate every layer shares. */
  readonly rate: Signal;
  readonly rateBinding: Binding;
  /** The carrier as the schedule's steps set it (`carrier_hz`), for schedules that do. */
  readonly carrierBinding: Binding;
  private readonly listenerCarrierHz: number;
  readonly analyser: Analyser;

  constructor(
    private readonly context: BaseContext,
    settings: EngineSettings,
  ) {
    const own = <T extends ToneAudioNode>(node: T): T => this.nodes.add(node);
    const gain = (value: number): Gain => own(new Gain({ context, gain: value }));
    const sine = (phase = 0): Oscillator => own(new Oscillator({ context, type: "sine", frequency: 0, phase }));
    const enabled = (layer: EngineLayer): number => (settings.layers[layer] ? 1 : 0);

    const bus = gain(1);
    bus.channelCount = 2;
    bus.channelCountMode = "explicit";
    const toneMix = gain(clamp(settings.mix.tone, 0, 1));
    const noiseVolume = gain(clamp(settings.mix.noise, 0, 1));
    const musicVolume = gain(clamp(settings.mix.music, 0, 1));
    for (const level of [toneMix, noiseVolume, musicVolume]) level.connect(bus);
    this.mixLevels = { tone: toneMix, noise: noiseVolume, music: musicVolume };

    this.listenerCarrierHz = settings.carrierHz;
    this.carrier = own(new Signal({ context, value: settings.carrierHz, units: "frequency" }));
    const rate = own(new Signal({ context, value: 1 }));
    this.rate = rate;

    // Binaural: the carrier and ± half the rate summed into each oscillator's frequency.
    const oscLeft = sine();
    const oscRight = sine();
    const halfDown = gain(-0.5);
    const halfUp = gain(0.5);
    this.carrier.connect(oscLeft.frequency);
    this.carrier.connect(oscRight.frequency);
    rate.connect(halfDown);
    rate.connect(halfUp);
    halfDown.connect(oscLeft.frequency);
    halfUp.connect(oscRight.frequency);
    const binauralMerge = own(new Merge({ context, channels: 2 }));
    oscLeft.connect(binauralMerge, 0, 0);
    oscRight.connect(binauralMerge, 0, 1);
    const binauralLevel = gain(0);
    const binauralEnable = gain(enabled("binaural"));
    binauralMerge.chain(binauralLevel, binauralEnable, toneMix);

    // One sine at the rate drives both the isochronic gate and the ambient AM, in phase.
    const monoOsc = sine();
    this.carrier.connect(monoOsc.frequency);
    const rateOsc = sine();
    rate.connect(rateOsc.frequency);
    const pulseShaper = own(new WaveShaper({ context, mapping: pulseGate, length: 4096 }));
    this.amShaper = own(new WaveShaper({ context, mapping: amplitudeModulation, length: 1024 }));
    rateOsc.connect(pulseShaper);
    rateOsc.connect(this.amShaper);

    const isoGate = gain(0);
    pulseShaper.connect(isoGate.gain);
    const isoLevel = gain(0);
    const isoEnable = gain(enabled("isochronic"));
    monoOsc.chain(isoGate, isoLevel, isoEnable, toneMix);

    // Ambient without noise still needs a sound to carry the rate: the carrier, gently modulated.
    const toneAm = gain(0);
    this.amShaper.connect(toneAm.gain);
    const ambientToneLevel = gain(0);
    const ambientEnable = gain(enabled("ambient"));
    monoOsc.chain(toneAm, ambientToneLevel, ambientEnable, toneMix);

    // Noise: two seamless loops crossfaded by colour; dry under tonal layers, modulated in ambient.
    const pinkLoop = own(new ToneBufferSource({ context, url: seamlessNoise(context, "pink"), loop: true }));
    const brownLoop = own(new ToneBufferSource({ context, url: seamlessNoise(context, "brown"), loop: true }));
    const pinkLevel = gain(0);
    const brownLevel = gain(0);
    const noiseMix = gain(1);
    pinkLoop.chain(pinkLevel, noiseMix);
    brownLoop.chain(brownLevel, noiseMix);
    const noiseDry = gain(0);
    const noiseAm = gain(0);
    this.amShaper.connect(noiseAm.gain);
    const noiseWet = gain(0);
    const ambientNoiseEnable = gain(enabled("ambient"));
    const noiseEnable = gain(enabled("noise"));
    noiseMix.chain(noiseDry, noiseEnable);
    noiseMix.chain(noiseAm, noiseWet, ambientNoiseEnable, noiseEnable);
    noiseEnable.connect(noiseVolume);

    this.musicInput = gain(enabled("music"));
    this.musicInput.connect(musicVolume);

    // Master: per-ear balance, then the fade envelope, then the hard cap.
    const split = own(new Split({ context, channels: 2 }));
    const { left, right } = balanceGains(settings.balance);
    this.balanceLeft = gain(left);
    this.balanceRight = gain(right);
    const balanceMerge = own(new Merge({ context, channels: 2 }));
    bus.connect(split);
    split.connect(this.balanceLeft, 0, 0);
    split.connect(this.balanceRight, 1, 0);
    this.balanceLeft.connect(balanceMerge, 0, 0);
    this.balanceRight.connect(balanceMerge, 0, 1);
    this.fade = gain(0);
    this.cap = gain(clamp(settings.volumeCap, 0, 1));
    this.analyser = own(new Analyser({ context, type: "fft", size: 2048 }));
    balanceMerge.chain(this.fade, this.cap, context.destination);
    this.cap.connect(this.analyser);

    this.oscillators = [oscLeft, oscRight, monoOsc, rateOsc];
    this.noiseLoops = [pinkLoop, brownLoop];
    this.enables = {
      binaural: [binauralEnable],
      isochronic: [isoEnable],
      ambient: [ambientEnable, ambientNoiseEnable],
      noise: [noiseEnable],
      music: [this.musicInput],
    };
    const layerIs = (layer: Layer) => (s: ModulationStep) => (s.layer === layer ? 1 : 0);
    // A step may set its tones' and its noise's share of their levels (imported sessions do).
    const tone = (s: ModulationStep) => s.tone_level ?? 1;
    const noise = (s: ModulationStep) => s.noise_level ?? 1;
    const crossfade = LAYER_CROSSFADE_MIN_SEC;
    this.rateBinding = { param: rate, value: rateHz, minRampSec: 0 };
    // Only followed when the schedule's steps carry their own carrier (then it wins over the
    // listener's, as in the server's render); otherwise the carrier is the listener's control.
    this.carrierBinding = { param: this.carrier, value: (s) => s.carrier_hz ?? this.listenerCarrierHz, minRampSec: 0 };
    this.scheduleBindings = [
      this.rateBinding,
      { param: binauralLevel.gain, value: (s) => TONE_PEAK * layerIs("binaural")(s) * tone(s), minRampSec: crossfade },
      { param: isoLevel.gain, value: (s) => TONE_PEAK * layerIs("isochronic")(s) * tone(s), minRampSec: crossfade },
      {
        param: ambientToneLevel.gain,
        value: (s) => (s.layer === "ambient" && s.noise === "none" ? AMBIENT_TONE_PEAK * tone(s) : 0),
        minRampSec: crossfade,
      },
      { param: pinkLevel.gain, value: (s) => (s.noise === "pink" ? 1 : 0), minRampSec: crossfade },
      { param: brownLevel.gain, value: (s) => (s.noise === "brown" ? 1 : 0), minRampSec: crossfade },
      {
        param: noiseDry.gain,
        value: (s) => NOISE_BED_PEAK * (1 - layerIs("ambient")(s)) * noise(s),
        minRampSec: crossfade,
      },
      { param: noiseWet.gain, value: (s) => NOISE_AMBIENT_PEAK * layerIs("ambient")(s) * noise(s), minRampSec: crossfade },
    ];
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** The graph's own schedule-driven parameters (the music bed has its own); none once disposed. */
  get bindings(): readonly Binding[] {
    return this.isDisposed ? [] : this.scheduleBindings;
  }

  /** The track playing now, or null (also once disposed). */
  get musicBed(): MusicBed | null {
    return this.music;
  }

  /** Every node this graph owns, its music beds' included; empty once disposed. */
  ownedNodes(): readonly ToneAudioNode[] {
    const beds = [...this.retiringMusic.keys(), ...(this.music ? [this.music] : [])];
    return [...this.nodes.list(), ...beds.flatMap((bed) => bed.ownedNodes())];
  }

  start(atSec: number, fadeInSec: number): void {
    if (this.isDisposed) return;
    for (const osc of this.oscillators) osc.start(atSec);
    for (const loop of this.noiseLoops) loop.start(atSec, Math.random() * NOISE_LOOP_SEC);
    this.fade.gain.setValueAtTime(0, atSec);
    this.fade.gain.linearRampToValueAtTime(1, atSec + fadeInSec);
  }

  fadeOut(atSec: number, durationSec: number): void {
    if (this.isDisposed) return;
    glideTo(this.fade.gain, 0, atSec, durationSec);
  }

  setEnabled(layer: EngineLayer, on: boolean, atSec: number): void {
    if (this.isDisposed) return;
    for (const g of this.enables[layer]) glideTo(g.gain, on ? 1 : 0, atSec, LAYER_TOGGLE_SEC);
  }

  /** Glides one part of the mix (beats and pulses, noise, music) to `level`, 0..1 under the cap. */
  setMix(part: MixPart, level: number, atSec: number): void {
    if (this.isDisposed) return;
    glideTo(this.mixLevels[part].gain, clamp(level, 0, 1), atSec, CONTROL_GLIDE_SEC);
  }

  setBalance(balance: number, atSec: number): void {
    if (this.isDisposed) return;
    const { left, right } = balanceGains(balance);
    glideTo(this.balanceLeft.gain, left, atSec, CONTROL_GLIDE_SEC);
    glideTo(this.balanceRight.gain, right, atSec, CONTROL_GLIDE_SEC);
  }

  setVolumeCap(cap: number, atSec: number): void {
    if (this.isDisposed) return;
    glideTo(this.cap.gain, clamp(cap, 0, 1), atSec, CONTROL_GLIDE_SEC);
  }

  /**
   * Starts `track` at `atSec` (fading in) and fades out the previous one, disposing of it when its
   * fade ends. `null` only fades out. Returns the new bed, whose bindings the engine then pins.
   */
  replaceMusic(track: { buffer: AudioBuffer; plan: MusicPlan } | null, atSec: number): MusicBed | null {
    if (this.isDisposed) return null;
    const previous = this.music;
    this.music = track ? new MusicBed(this.context, track.buffer, track.plan, this.amShaper, this.musicInput) : null;
    if (previous) {
      previous.fadeOut(atSec, MUSIC_FADE_SEC);
      const waitMs = (atSec - this.context.currentTime + MUSIC_FADE_SEC + 0.1) * 1000;
      const timer = setTimeout(() => {
        this.retiringMusic.delete(previous);
        previous.dispose();
      }, waitMs);
      this.retiringMusic.set(previous, timer);
    }
    this.music?.start(atSec);
    return this.music;
  }

  /** Frees every node now: the music beds first (they listen to the AM curve), then its own. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const [bed, timer] of this.retiringMusic) {
      clearTimeout(timer);
      bed.dispose();
    }
    this.retiringMusic.clear();
    this.music?.dispose();
    this.music = null;
    for (const osc of this.oscillators) osc.stop();
    for (const loop of this.noiseLoops) loop.stop();
    this.nodes.disposeAll();
  }
}
