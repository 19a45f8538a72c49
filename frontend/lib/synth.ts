/**
 * The audio engine: binaural beats, isochronic pulses and an ambient noise/music bed that follow a
 * modulation schedule with sample-accurate glides (spec §5.2).
 *
 * The engine exposes verbs (`start`, `applyStep`, `replaceSchedule`, `setMusicBuffer`,
 * `setBeatOverride`, `stop`, setters) and hides its node graph. It takes the Tone context to build
 * on, so `renderOffline` runs the very same code inside `Tone.Offline` that plays live.
 * Ownership: the engine owns one `SessionGraph` per playing session, the graph owns every node it
 * creates (and the `MusicBed` of the current track), and whoever creates a node or connection
 * disposes of it.
 *
 * Graph (all levels are peak gains, modest so that the sum stays below full scale at cap 1):
 *
 *   carrier ─┬─ (+rate·½) ─ oscR ┐
 *            ├─ (−rate·½) ─ oscL ┴ merge L/R ─ binauralLevel ─ binauralEnable ──────────┐
 *            └─ monoOsc ─┬─ isoGate(gain ← pulseShaper ← rateOsc) ─ isoLevel ─ isoEnable ─┤
 *                        └─ toneAM(gain ← amShaper ← rateOsc) ─ ambientToneLevel ─ ambientEnable ─┤
 *   pink/brown loops ─ colour levels ─ noiseMix ─┬─ noiseDry ───────────────────── noiseEnable ─┤
 *                                                └─ noiseAM ─ noiseWet ─ ambientNoiseEnable ─┘ │
 *   MusicBed (track) ─ level ─┬─ dry ───────────── musicEnable ─────────────────────────────────┤
 *                             └─ am ─ wet ─┘                                                    │
 *   bus (stereo) ─ split ─ left/right balance ─ merge ─ fade (0..1) ─ cap (≤ volumeCap) ─ out + analyser
 *
 * Binaural layout is symmetric: left = carrier − beat/2, right = carrier + beat/2, so the pitch
 * you hear stays at the carrier while the difference is exactly the step's beat frequency.
 * Every schedule-driven parameter is a "binding" whose segments come from `scheduleMath.glides`:
 * frequencies glide over the step's ramp, layer and noise levels crossfade over ≥ 2 s.
 */
import {
  Analyser,
  Gain,
  getContext,
  Merge,
  Offline,
  Oscillator,
  Signal,
  Split,
  ToneBufferSource,
  WaveShaper,
  type BaseContext,
  type ToneAudioNode,
} from "tone";

import { glideSec, rejoinSec } from "./beatOverride";
import { BEAT_HZ_MIN, MODULATION_HZ_MAX, beatMaxHz, clamp, rateHz } from "./safetyLimits";
import { glides, glideValueAt, stepIndexAt, type Glide } from "./scheduleMath";
import { PLAYBACK_RATE_MAX, PLAYBACK_RATE_MIN, median, sessionBpm, tempoFactor as nearestTempoFactor } from "./tempoMatch";
import type { Layer, ModulationSchedule, ModulationStep } from "./types";

/** What `setLayerEnabled` switches: the three schedule layers plus the noise bed and the music. */
export type EngineLayer = Layer | "noise" | "music";

export interface StartOptions {
  /** Position in the session to start from, in seconds (resuming mid-session). Default 0. */
  atSec?: number;
  /** Carrier tone, clamped to 100–500 Hz. Default 200. */
  carrierHz?: number;
  /** Hard volume cap from the user's preferences, 0–1 of full scale. Default 0.5. */
  volumeCap?: number;
  /** Per-ear balance, −1 (left only) … 1 (right only). Default 0. */
  balance?: number;
  /** Layers the user switched off stay silent; missing entries are on. */
  layers?: Partial<Record<EngineLayer, boolean>>;
  /** Master fade-in from silence, default 3 s. Live it is never shorter; offline it may be 0. */
  fadeInSec?: number;
  /** Modulate the music under every layer (true) or only during ambient steps (false, default). */
  entrainMusic?: boolean;
}

export interface MusicOptions {
  /** The track's tempo; without it the track plays at its own speed. */
  trackBpm?: number;
  /** Time of the first downbeat in the track; with `lockToBeat`, the AM follows the beat grid. */
  firstBeatSec?: number;
  lockToBeat?: boolean;
  /** Request headers for the stream endpoint (the bearer token never goes into a URL). */
  headers?: HeadersInit;
}

export type MusicResult = { ok: true } | { ok: false; reason: string };

/** How the playing track was fitted to the session (diagnostics, and the e2e test reads it). */
export interface MusicInfo {
  durationSec: number;
  trackBpm: number | null;
  /** 0.5, 1 or 2: matched at half, its own or double time. */
  tempoFactor: number;
  lockedToBeat: boolean;
}

export interface OfflineRenderOptions {
  fromSec?: number;
  durationSec: number;
  carrierHz?: number;
  volumeCap?: number;
  balance?: number;
  layers?: Partial<Record<EngineLayer, boolean>>;
  sampleRate?: number;
  /** Master fade-in, default the live 3 s; an analysis window of the steady state passes 0. */
  fadeInSec?: number;
}

export interface RenderedAudio {
  left: Float32Array;
  right: Float32Array;
  sampleRate: number;
}

const DEFAULT_CARRIER_HZ = 200;
const CARRIER_MIN_HZ = 100;
const CARRIER_MAX_HZ = 500;
const DEFAULT_VOLUME_CAP = 0.5;

const TONE_PEAK = 0.2;
const AMBIENT_TONE_PEAK = 0.2;
const NOISE_BED_PEAK = 0.1;
const NOISE_AMBIENT_PEAK = 0.35;
const MUSIC_PEAK = 0.35;
/** Ambient AM swings the level between 1 − depth and 1: gentle, never a gate. */
const AM_DEPTH = 0.3;

const FADE_IN_MIN_SEC = 3;
const FADE_OUT_MIN_SEC = 2;
const LAYER_CROSSFADE_MIN_SEC = 2;
const CARRIER_GLIDE_SEC = 2;
const CONTROL_GLIDE_SEC = 0.3;
const LAYER_TOGGLE_SEC = 1;
const MUSIC_FADE_SEC = 2;
/** When a refined schedule disagrees with what is playing, glide to it over this long. */
const CATCH_UP_SEC = 2;
const RESTART_FADE_SEC = 0.1;

const NOISE_LOOP_SEC = 8;
const NOISE_SEAM_SEC = 0.5;
const BEATS_PER_BAR = 4;

const ALL_LAYERS: readonly EngineLayer[] = ["binaural", "isochronic", "ambient", "noise", "music"];

interface Automatable {
  setValueAtTime(value: number, time: number): unknown;
  linearRampToValueAtTime(value: number, time: number): unknown;
  cancelAndHoldAtTime(time: number): unknown;
}

/** A parameter that follows the schedule: its value for each step, and its shortest glide. */
interface Binding {
  param: Automatable;
  value: (step: ModulationStep) => number;
  minRampSec: number;
}

interface Disposable {
  dispose(): unknown;
}

interface Settings {
  carrierHz: number;
  volumeCap: number;
  balance: number;
  layers: Record<EngineLayer, boolean>;
  entrainMusic: boolean;
}

function balanceGains(balance: number): { left: number; right: number } {
  const b = clamp(balance, -1, 1);
  return { left: Math.min(1, 1 - b), right: Math.min(1, 1 + b) };
}

/** Raised-cosine gate over a sine's cycle: silent ~⅓, open ~⅓, smooth edges between (no clicks). */
function pulseGate(x: number): number {
  const edge = clamp(((x + 1) / 2 - 0.2) / 0.6, 0, 1);
  return 0.5 - 0.5 * Math.cos(Math.PI * edge);
}

function amplitudeModulation(x: number): number {
  return 1 - (AM_DEPTH * (1 - x)) / 2;
}

/**
 * A stereo noise loop whose end flows into its start: the tail past the loop is crossfaded
 * (equal power) into the head, so the loop point has no step, unlike Tone.Noise's buffers.
 */
function seamlessNoise(context: BaseContext, colour: "pink" | "brown"): AudioBuffer {
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

/** Glides a control (not schedule-driven) parameter from wherever it is now. */
function glideTo(param: Automatable, value: number, atSec: number, durationSec: number): void {
  param.cancelAndHoldAtTime(atSec);
  param.linearRampToValueAtTime(value, atSec + durationSec);
}

/**
 * Schedules `segments` on `param` from session position `posSec` on. The value at `posSec` must
 * already be set or held. A glide in progress continues to its end; a later one holds its start
 * value until its start, then ramps. If nothing is in progress, the param first glides to the
 * curve's current value (a no-op when it is already there, a smooth catch-up after a refinement).
 */
function follow(param: Automatable, segments: readonly Glide[], posSec: number, toCtx: (sec: number) => number): void {
  const current = segments.find((g) => g.startSec <= posSec && posSec < g.endSec);
  if (current) {
    param.linearRampToValueAtTime(current.to, toCtx(current.endSec));
  } else {
    const next = segments.find((g) => g.startSec > posSec);
    const catchUpSec = Math.min(posSec + CATCH_UP_SEC, next ? next.startSec : Infinity);
    param.linearRampToValueAtTime(glideValueAt(segments, posSec), toCtx(catchUpSec));
  }
  for (const g of segments) {
    if (g.startSec <= posSec) continue;
    param.linearRampToValueAtTime(g.from, toCtx(g.startSec));
    param.linearRampToValueAtTime(g.to, toCtx(g.endSec));
  }
}

/** How a track is fitted to a schedule: fixed per track so that nothing jumps later. */
interface MusicPlan {
  trackBpm: number | null;
  /** 0.5, 1 or 2: the track is matched at half, its own or double time, whichever is nearest. */
  tempoFactor: number;
  /** AM cycles per track beat when locked to the beat grid, else null. */
  cyclesPerBeat: number | null;
  offsetSec: number;
  loopStartSec: number;
  loopEndSec: number;
}

function planMusic(buffer: AudioBuffer, schedule: ModulationSchedule, options: MusicOptions): MusicPlan {
  const whole = { offsetSec: 0, loopStartSec: 0, loopEndSec: buffer.duration };
  const trackBpm = options.trackBpm && options.trackBpm > 0 ? options.trackBpm : null;
  if (trackBpm === null) return { trackBpm, tempoFactor: 1, cyclesPerBeat: null, ...whole };
  const tempoFactor = nearestTempoFactor(trackBpm, sessionBpm(schedule) || trackBpm);
  const firstBeatSec = options.firstBeatSec ?? 0;
  const barSec = (BEATS_PER_BAR * 60) / trackBpm;
  const bars = Math.floor((buffer.duration - firstBeatSec) / barSec);
  if (!options.lockToBeat || options.firstBeatSec === undefined || bars < 1) {
    return { trackBpm, tempoFactor, cyclesPerBeat: null, ...whole };
  }
  const beatHz = trackBpm / 60;
  const rate = median(schedule.steps.map(rateHz)) || beatHz;
  const cyclesPerBeat = clamp(2 ** Math.round(Math.log2(rate / beatHz)), 0.25, 8);
  // Loop whole bars from the first downbeat, so the loop keeps the AM on the grid.
  return {
    trackBpm,
    tempoFactor,
    cyclesPerBeat,
    offsetSec: firstBeatSec,
    loopStartSec: firstBeatSec,
    loopEndSec: firstBeatSec + bars * barSec,
  };
}

/** One library track: its looped source, tempo match and gentle AM. Owned by a SessionGraph. */
class MusicBed {
  private readonly nodes: Disposable[] = [];
  private readonly source: ToneBufferSource;
  private readonly level: Gain;
  private readonly dry: Gain;
  private readonly wet: Gain;
  private readonly am: Gain;
  private readonly lockOsc: Oscillator | null = null;
  private disposed = false;
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
    this.source = this.own(
      new ToneBufferSource({
        context,
        url: buffer,
        loop: true,
        loopStart: plan.loopStartSec,
        loopEnd: plan.loopEndSec,
      }),
    );
    this.level = this.own(new Gain({ context, gain: 0 }));
    this.dry = this.own(new Gain({ context, gain: 0 }));
    this.am = this.own(new Gain({ context, gain: 0 }));
    this.wet = this.own(new Gain({ context, gain: 0 }));
    this.source.chain(this.level, this.dry, output);
    this.level.chain(this.am, this.wet, output);
    if (plan.cyclesPerBeat === null) {
      sharedAm.connect(this.am.gain);
    } else {
      // Phase 90° = cosine: the AM peak lands on the beat the source starts on.
      const lockOsc = this.own(new Oscillator({ context, type: "sine", frequency: 0, phase: 90 }));
      const shaper = this.own(new WaveShaper({ context, mapping: amplitudeModulation, length: 1024 }));
      lockOsc.connect(shaper);
      shaper.connect(this.am.gain);
      this.lockOsc = lockOsc;
    }
  }

  private own<T extends Disposable>(node: T): T {
    this.nodes.push(node);
    return node;
  }

  private playbackRate(step: ModulationStep): number {
    const { trackBpm, tempoFactor } = this.plan;
    if (trackBpm === null) return 1;
    return clamp(step.target_bpm / (trackBpm * tempoFactor), PLAYBACK_RATE_MIN, PLAYBACK_RATE_MAX);
  }

  bindings(entrainMusic: boolean): Binding[] {
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
    this.source.start(atSec, this.plan.offsetSec);
    this.lockOsc?.start(atSec);
    this.level.gain.setValueAtTime(0, atSec);
    this.level.gain.linearRampToValueAtTime(MUSIC_PEAK, atSec + MUSIC_FADE_SEC);
  }

  fadeOut(atSec: number, durationSec: number): void {
    glideTo(this.level.gain, 0, atSec, durationSec);
  }

  /** Must run before the graph disposes `sharedAm` (the graph sees to that). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.plan.cyclesPerBeat === null) this.sharedAm.disconnect(this.am.gain);
    this.source.stop();
    this.lockOsc?.stop();
    for (const node of this.nodes.reverse()) node.dispose();
  }
}

/** Every node of one playing session: built and wired in the constructor, freed in `dispose`. */
class SessionGraph {
  private readonly nodes: Disposable[] = [];
  private readonly oscillators: Oscillator[];
  private readonly noiseLoops: ToneBufferSource[];
  private readonly enables: Record<EngineLayer, Gain[]>;
  private readonly balanceLeft: Gain;
  private readonly balanceRight: Gain;
  private readonly fade: Gain;
  private readonly cap: Gain;
  private music: MusicBed | null = null;
  private readonly retiringMusic = new Map<MusicBed, ReturnType<typeof setTimeout>>();
  readonly carrier: Signal<"frequency">;
  /** The beat / pulse / modulation rate every layer shares. */
  readonly rate: Signal;
  readonly rateBinding: Binding;
  readonly analyser: Analyser;
  readonly bindings: Binding[];
  /** The ambient AM curve (1 − depth … 1 at the step's rate), for the music bed to share. */
  readonly amShaper: WaveShaper;
  readonly musicInput: Gain;

  constructor(
    private readonly context: BaseContext,
    settings: Settings,
  ) {
    const gain = (value: number): Gain => this.own(new Gain({ context, gain: value }));
    const sine = (phase = 0): Oscillator => this.own(new Oscillator({ context, type: "sine", frequency: 0, phase }));
    const enabled = (layer: EngineLayer): number => (settings.layers[layer] ? 1 : 0);

    const bus = gain(1);
    bus.channelCount = 2;
    bus.channelCountMode = "explicit";

    this.carrier = this.own(new Signal({ context, value: settings.carrierHz, units: "frequency" }));
    const rate = this.own(new Signal({ context, value: 1 }));
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
    const binauralMerge = this.own(new Merge({ context, channels: 2 }));
    oscLeft.connect(binauralMerge, 0, 0);
    oscRight.connect(binauralMerge, 0, 1);
    const binauralLevel = gain(0);
    const binauralEnable = gain(enabled("binaural"));
    binauralMerge.chain(binauralLevel, binauralEnable, bus);

    // One sine at the rate drives both the isochronic gate and the ambient AM, in phase.
    const monoOsc = sine();
    this.carrier.connect(monoOsc.frequency);
    const rateOsc = sine();
    rate.connect(rateOsc.frequency);
    const pulseShaper = this.own(new WaveShaper({ context, mapping: pulseGate, length: 4096 }));
    this.amShaper = this.own(new WaveShaper({ context, mapping: amplitudeModulation, length: 1024 }));
    rateOsc.connect(pulseShaper);
    rateOsc.connect(this.amShaper);

    const isoGate = gain(0);
    pulseShaper.connect(isoGate.gain);
    const isoLevel = gain(0);
    const isoEnable = gain(enabled("isochronic"));
    monoOsc.chain(isoGate, isoLevel, isoEnable, bus);

    // Ambient without noise still needs a sound to carry the rate: the carrier, gently modulated.
    const toneAm = gain(0);
    this.amShaper.connect(toneAm.gain);
    const ambientToneLevel = gain(0);
    const ambientEnable = gain(enabled("ambient"));
    monoOsc.chain(toneAm, ambientToneLevel, ambientEnable, bus);

    // Noise: two seamless loops crossfaded by colour; dry under tonal layers, modulated in ambient.
    const pinkLoop = this.own(new ToneBufferSource({ context, url: seamlessNoise(context, "pink"), loop: true }));
    const brownLoop = this.own(new ToneBufferSource({ context, url: seamlessNoise(context, "brown"), loop: true }));
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
    noiseEnable.connect(bus);

    this.musicInput = gain(enabled("music"));
    this.musicInput.connect(bus);

    // Master: per-ear balance, then the fade envelope, then the hard cap.
    const split = this.own(new Split({ context, channels: 2 }));
    const { left, right } = balanceGains(settings.balance);
    this.balanceLeft = gain(left);
    this.balanceRight = gain(right);
    const balanceMerge = this.own(new Merge({ context, channels: 2 }));
    bus.connect(split);
    split.connect(this.balanceLeft, 0, 0);
    split.connect(this.balanceRight, 1, 0);
    this.balanceLeft.connect(balanceMerge, 0, 0);
    this.balanceRight.connect(balanceMerge, 0, 1);
    this.fade = gain(0);
    this.cap = gain(clamp(settings.volumeCap, 0, 1));
    this.analyser = this.own(new Analyser({ context, type: "fft", size: 2048 }));
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
    const crossfade = LAYER_CROSSFADE_MIN_SEC;
    this.rateBinding = { param: rate, value: rateHz, minRampSec: 0 };
    this.bindings = [
      this.rateBinding,
      { param: binauralLevel.gain, value: (s) => TONE_PEAK * layerIs("binaural")(s), minRampSec: crossfade },
      { param: isoLevel.gain, value: (s) => TONE_PEAK * layerIs("isochronic")(s), minRampSec: crossfade },
      {
        param: ambientToneLevel.gain,
        value: (s) => (s.layer === "ambient" && s.noise === "none" ? AMBIENT_TONE_PEAK : 0),
        minRampSec: crossfade,
      },
      { param: pinkLevel.gain, value: (s) => (s.noise === "pink" ? 1 : 0), minRampSec: crossfade },
      { param: brownLevel.gain, value: (s) => (s.noise === "brown" ? 1 : 0), minRampSec: crossfade },
      { param: noiseDry.gain, value: (s) => NOISE_BED_PEAK * (1 - layerIs("ambient")(s)), minRampSec: crossfade },
      { param: noiseWet.gain, value: (s) => NOISE_AMBIENT_PEAK * layerIs("ambient")(s), minRampSec: crossfade },
    ];
  }

  private own<T extends Disposable>(node: T): T {
    this.nodes.push(node);
    return node;
  }

  start(atSec: number, fadeInSec: number): void {
    for (const osc of this.oscillators) osc.start(atSec);
    for (const loop of this.noiseLoops) loop.start(atSec, Math.random() * NOISE_LOOP_SEC);
    this.fade.gain.setValueAtTime(0, atSec);
    this.fade.gain.linearRampToValueAtTime(1, atSec + fadeInSec);
  }

  fadeOut(atSec: number, durationSec: number): void {
    glideTo(this.fade.gain, 0, atSec, durationSec);
  }

  setEnabled(layer: EngineLayer, on: boolean, atSec: number): void {
    for (const g of this.enables[layer]) glideTo(g.gain, on ? 1 : 0, atSec, LAYER_TOGGLE_SEC);
  }

  setBalance(balance: number, atSec: number): void {
    const { left, right } = balanceGains(balance);
    glideTo(this.balanceLeft.gain, left, atSec, CONTROL_GLIDE_SEC);
    glideTo(this.balanceRight.gain, right, atSec, CONTROL_GLIDE_SEC);
  }

  setVolumeCap(cap: number, atSec: number): void {
    glideTo(this.cap.gain, clamp(cap, 0, 1), atSec, CONTROL_GLIDE_SEC);
  }

  get musicBed(): MusicBed | null {
    return this.music;
  }

  /** Takes ownership of `bed`; the previous track fades out and is disposed. */
  replaceMusic(bed: MusicBed | null, atSec: number): void {
    const previous = this.music;
    this.music = bed;
    if (previous) {
      previous.fadeOut(atSec, MUSIC_FADE_SEC);
      const waitMs = (atSec - this.context.currentTime + MUSIC_FADE_SEC + 0.1) * 1000;
      const timer = setTimeout(() => {
        this.retiringMusic.delete(previous);
        previous.dispose();
      }, waitMs);
      this.retiringMusic.set(previous, timer);
    }
  }

  dispose(): void {
    for (const [bed, timer] of this.retiringMusic) {
      clearTimeout(timer);
      bed.dispose();
    }
    this.retiringMusic.clear();
    this.music?.dispose();
    this.music = null;
    for (const osc of this.oscillators) osc.stop();
    for (const loop of this.noiseLoops) loop.stop();
    for (const node of this.nodes.reverse()) node.dispose();
  }
}

/**
 * The engine. Build it with no argument for live playback (Tone's global context) or with an
 * offline context for rendering; the code path is the same.
 */
export class SoundEngine {
  private graph: SessionGraph | null = null;
  private schedule: ModulationSchedule | null = null;
  /** Session second `sessionSec` is heard at context time `ctxSec`. */
  private anchor = { ctxSec: 0, sessionSec: 0 };
  private settings: Settings = {
    carrierHz: DEFAULT_CARRIER_HZ,
    volumeCap: DEFAULT_VOLUME_CAP,
    balance: 0,
    layers: { binaural: true, isochronic: true, ambient: true, noise: true, music: true },
    entrainMusic: false,
  };
  private music: { options: MusicOptions; buffer: AudioBuffer } | null = null;
  private musicToken = 0;
  /** A beat set by hand (the schedule's rate curve is not followed while set), or null. */
  private beatOverrideHz: number | null = null;
  private paused = false;
  /** Graphs fading out after stop/restart, disposed when their fade ends (or at `dispose`). */
  private readonly retiring = new Map<SessionGraph, () => void>();

  constructor(readonly context: BaseContext = getContext()) {}

  /** True while a session is playing (or paused by the user), false once stopped. */
  get isActive(): boolean {
    return this.graph !== null;
  }

  /** True when the user paused: lifecycle handlers must not resume behind their back. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Starts playing `schedule` from `options.atSec` with a fade-in from silence. Call it from a
   * user gesture: the context is resumed before anything is awaited.
   */
  async start(schedule: ModulationSchedule, options: StartOptions = {}): Promise<void> {
    const ready = this.context.isOffline || this.context.state === "running" ? undefined : this.context.resume();
    this.settings = {
      carrierHz: clamp(options.carrierHz ?? this.settings.carrierHz, CARRIER_MIN_HZ, CARRIER_MAX_HZ),
      volumeCap: clamp(options.volumeCap ?? this.settings.volumeCap, 0, 1),
      balance: clamp(options.balance ?? this.settings.balance, -1, 1),
      layers: Object.fromEntries(ALL_LAYERS.map((l) => [l, options.layers?.[l] ?? this.settings.layers[l]])) as Record<
        EngineLayer,
        boolean
      >,
      entrainMusic: options.entrainMusic ?? this.settings.entrainMusic,
    };
    if (this.graph) this.retire(this.graph, RESTART_FADE_SEC);
    this.graph = null;
    await ready;

    const graph = new SessionGraph(this.context, this.settings);
    const startCtx = this.context.now();
    const requestedFadeSec = Math.max(0, options.fadeInSec ?? FADE_IN_MIN_SEC);
    const fadeInSec = this.context.isOffline ? requestedFadeSec : Math.max(FADE_IN_MIN_SEC, requestedFadeSec);
    this.graph = graph;
    this.schedule = schedule;
    this.paused = false;
    this.anchor = { ctxSec: startCtx, sessionSec: options.atSec ?? 0 };
    graph.start(startCtx, fadeInSec);
    this.pin(this.allBindings(graph), startCtx);
    // Silent at the start (the fade-in), so a beat set by hand may begin right at its value.
    if (this.beatOverrideHz !== null) graph.rate.setValueAtTime(this.beatOverrideHz, startCtx);
    if (this.music) this.attachMusic(this.music.buffer, this.music.options);
  }

  /**
   * Glides to `step`'s values from context time `atContextTime` over its ramp (layers over ≥ 2 s).
   * Whatever was scheduled after that time is cancelled: this is for steps pushed one at a time.
   */
  applyStep(step: ModulationStep, atContextTime: number): void {
    const graph = this.graph;
    if (!graph) return;
    const at = Math.max(atContextTime, this.context.now());
    for (const b of this.allBindings(graph)) {
      b.param.cancelAndHoldAtTime(at);
      b.param.linearRampToValueAtTime(b.value(step), at + Math.max(step.ramp_duration_sec, b.minRampSec, 0));
    }
  }

  /**
   * Swaps in a refined schedule while playing: holds every parameter where it is now, keeps a
   * glide in progress going to its new target, and re-schedules the future. `nowSec` is the
   * session position being heard now; it also re-syncs the engine's clock to it.
   */
  replaceSchedule(schedule: ModulationSchedule, nowSec: number): void {
    this.schedule = schedule;
    const graph = this.graph;
    if (!graph) return;
    this.anchor = { ctxSec: this.context.currentTime, sessionSec: nowSec };
    this.rebase(this.allBindings(graph), this.context.now());
  }

  setCarrier(hz: number): void {
    this.settings.carrierHz = clamp(hz, CARRIER_MIN_HZ, CARRIER_MAX_HZ);
    if (this.graph) glideTo(this.graph.carrier, this.settings.carrierHz, this.context.now(), CARRIER_GLIDE_SEC);
  }

  /** Hard cap on the master level (0–1 of full scale); anything above 1 is clamped. */
  setVolumeCap(cap: number): void {
    this.settings.volumeCap = clamp(cap, 0, 1);
    this.graph?.setVolumeCap(this.settings.volumeCap, this.context.now());
  }

  setBalance(balance: number): void {
    this.settings.balance = clamp(balance, -1, 1);
    this.graph?.setBalance(this.settings.balance, this.context.now());
  }

  setLayerEnabled(layer: EngineLayer, on: boolean): void {
    this.settings.layers[layer] = on;
    this.graph?.setEnabled(layer, on, this.context.now());
  }

  /**
   * Sets the beat by hand, or (`null`) hands it back to the schedule. Either way the rate glides
   * from where it is at no more than 0.2 Hz/s (the validator's limit), never jumps; going back,
   * it meets the schedule's curve where such a glide first can, then follows it. The value is
   * held inside the current layer's bounds. Before `start`, the session starts at this beat.
   */
  setBeatOverride(hz: number | null): void {
    const graph = this.graph;
    if (hz === null) {
      if (this.beatOverrideHz === null) return;
      this.beatOverrideHz = null;
      if (graph) this.rejoinRate(graph, this.context.now());
      return;
    }
    const layer = graph && this.schedule ? this.schedule.steps[stepIndexAt(this.schedule, this.sessionAt(this.context.now()))]?.layer : undefined;
    const target = clamp(hz, BEAT_HZ_MIN, layer ? beatMaxHz(layer) : MODULATION_HZ_MAX);
    this.beatOverrideHz = target;
    if (!graph) return;
    const at = this.context.now();
    const fromHz = graph.rate.getValueAtTime(at);
    graph.rate.cancelAndHoldAtTime(at);
    graph.rate.linearRampToValueAtTime(target, at + glideSec(fromHz, target));
  }

  /** The beat / pulse rate being heard now, or null when stopped. */
  beatHzNow(): number | null {
    return this.graph?.rate.getValueAtTime(this.context.currentTime) ?? null;
  }

  /** How the playing track is fitted, or null when no track plays. */
  musicInfo(): MusicInfo | null {
    return this.graph?.musicBed?.info ?? null;
  }

  setMusicEntrainment(on: boolean): void {
    this.settings.entrainMusic = on;
    const bed = this.graph?.musicBed;
    if (bed) this.rebase(bed.bindings(on), this.context.now());
  }

  /**
   * Loads a library track (the stream endpoint) and loops it under the session, tempo-matched to
   * each step's target_bpm (playback rate 0.85–1.15, glided) and gently modulated at the step's
   * rate. `null` fades the music out. Later calls supersede earlier ones still loading.
   */
  async setMusic(url: string | null, options: MusicOptions = {}): Promise<MusicResult> {
    const token = ++this.musicToken;
    if (url === null) {
      this.setMusicBuffer(null);
      return { ok: true };
    }
    let buffer: AudioBuffer;
    try {
      const response = await fetch(url, { headers: options.headers });
      if (!response.ok) return { ok: false, reason: `The track could not be loaded (HTTP ${response.status}).` };
      buffer = await this.context.decodeAudioData(await response.arrayBuffer());
    } catch (error) {
      return { ok: false, reason: `The track could not be played: ${String(error)}` };
    }
    if (token !== this.musicToken) return { ok: false, reason: "Superseded by another track." };
    this.setMusicBuffer(buffer, options);
    return { ok: true };
  }

  /**
   * `setMusic` for a track already decoded (the caller showed the download's progress); `null`
   * fades the music out. Kept across `stop`/`start`, and supersedes a `setMusic` still loading.
   */
  setMusicBuffer(buffer: AudioBuffer | null, options: MusicOptions = {}): void {
    this.musicToken++;
    this.music = buffer ? { options, buffer } : null;
    if (buffer) this.attachMusic(buffer, options);
    else this.graph?.replaceMusic(null, this.context.now());
  }

  /** The session position being heard now, or null when stopped. */
  positionSec(): number | null {
    if (!this.graph) return null;
    return this.sessionAt(this.context.currentTime);
  }

  /** The FFT analyser on the master (after the cap), for a visualiser; null when stopped. */
  getAnalyser(): Analyser | null {
    return this.graph?.analyser ?? null;
  }

  /** The analyser's current spectrum in dB (`getAnalyser().getValue()`), or null when stopped. */
  spectrum(): Float32Array | null {
    return this.graph?.analyser.getValue() ?? null;
  }

  /** Fades out (≥ 2 s) then disposes every node of the session. */
  async stop(fadeOutSec = FADE_OUT_MIN_SEC): Promise<void> {
    const graph = this.graph;
    this.graph = null;
    this.paused = false;
    if (graph) await this.retire(graph, Math.max(FADE_OUT_MIN_SEC, fadeOutSec));
  }

  /** Frees everything now, without a fade (unmount, or after an offline render). */
  dispose(): void {
    this.musicToken++;
    this.music = null;
    this.graph?.dispose();
    this.graph = null;
    for (const finish of [...this.retiring.values()]) finish();
  }

  /** Resumes a context the browser suspended (tab hidden, device slept), unless the user paused. */
  async resume(): Promise<void> {
    if (!this.graph || this.paused || this.context.isOffline || this.context.state === "running") return;
    await this.context.resume();
  }

  /** Suspends the live context (lock-screen pause); `play` resumes where it was. */
  async pause(): Promise<void> {
    if (!this.graph || this.context.isOffline) return;
    this.paused = true;
    await (this.context.rawContext as AudioContext).suspend();
  }

  async play(): Promise<void> {
    this.paused = false;
    await this.resume();
  }

  private sessionAt(ctxSec: number): number {
    return this.anchor.sessionSec + (ctxSec - this.anchor.ctxSec);
  }

  private toCtx = (sessionSec: number): number => this.anchor.ctxSec + (sessionSec - this.anchor.sessionSec);

  /** Every schedule-driven parameter, except the rate while the beat is set by hand. */
  private allBindings(graph: SessionGraph): Binding[] {
    const own = this.beatOverrideHz === null ? graph.bindings : graph.bindings.filter((b) => b !== graph.rateBinding);
    return [...own, ...(graph.musicBed?.bindings(this.settings.entrainMusic) ?? [])];
  }

  private segmentsOf(b: Binding): Glide[] {
    return glides(this.schedule?.steps ?? [], b.value, b.minRampSec);
  }

  /** Fresh parameters: set the curve's value at `ctxSec`, then follow the schedule. */
  private pin(bindings: Binding[], ctxSec: number): void {
    const posSec = this.sessionAt(ctxSec);
    for (const b of bindings) {
      const segments = this.segmentsOf(b);
      if (segments.length === 0) continue;
      b.param.setValueAtTime(glideValueAt(segments, posSec), ctxSec);
      follow(b.param, segments, posSec, this.toCtx);
    }
  }

  /** Live parameters: hold where they are at `ctxSec`, then follow the (new) schedule. */
  private rebase(bindings: Binding[], ctxSec: number): void {
    const posSec = this.sessionAt(ctxSec);
    for (const b of bindings) {
      if (this.graph && b === this.graph.rateBinding) {
        this.rejoinRate(this.graph, ctxSec);
        continue;
      }
      const segments = this.segmentsOf(b);
      if (segments.length === 0) continue;
      b.param.cancelAndHoldAtTime(ctxSec);
      follow(b.param, segments, posSec, this.toCtx);
    }
  }

  /**
   * Holds the rate where it is at `ctxSec`, glides at the safe rate to where it can first meet
   * the schedule's curve, then follows the curve. A 2-s catch-up (as for levels) could move the
   * beat by several hertz a second after a manual override or a refined schedule; this cannot.
   */
  private rejoinRate(graph: SessionGraph, ctxSec: number): void {
    const segments = this.segmentsOf(graph.rateBinding);
    if (segments.length === 0) return;
    const posSec = this.sessionAt(ctxSec);
    const fromHz = graph.rate.getValueAtTime(ctxSec);
    const joinSec = rejoinSec(fromHz, segments, posSec);
    graph.rate.cancelAndHoldAtTime(ctxSec);
    graph.rate.linearRampToValueAtTime(glideValueAt(segments, joinSec), this.toCtx(joinSec));
    follow(graph.rate, segments, joinSec, this.toCtx);
  }

  private attachMusic(buffer: AudioBuffer, options: MusicOptions): void {
    const graph = this.graph;
    if (!graph || !this.schedule) return;
    const plan = planMusic(buffer, this.schedule, options);
    const bed = new MusicBed(this.context, buffer, plan, graph.amShaper, graph.musicInput);
    const at = this.context.now();
    graph.replaceMusic(bed, at);
    bed.start(at);
    this.pin(bed.bindings(this.settings.entrainMusic), at);
  }

  private retire(graph: SessionGraph, fadeSec: number): Promise<void> {
    const at = this.context.now();
    graph.fadeOut(at, fadeSec);
    const waitMs = (at - this.context.currentTime + fadeSec + 0.1) * 1000;
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.retiring.delete(graph);
        graph.dispose();
        resolve();
      };
      const timer = setTimeout(finish, waitMs);
      this.retiring.set(graph, finish);
    });
  }
}

/**
 * Renders `durationSec` of the session from `fromSec` with `Tone.Offline`, through a SoundEngine
 * built on the offline context: the same graph, bindings and glides that play live.
 */
export async function renderOffline(
  schedule: ModulationSchedule,
  options: OfflineRenderOptions,
): Promise<RenderedAudio> {
  const engines: SoundEngine[] = [];
  const buffer = await Offline(
    async (context) => {
      const engine = new SoundEngine(context);
      engines.push(engine);
      await engine.start(schedule, {
        atSec: options.fromSec ?? 0,
        carrierHz: options.carrierHz,
        volumeCap: options.volumeCap,
        balance: options.balance,
        layers: options.layers,
        fadeInSec: options.fadeInSec,
      });
    },
    options.durationSec,
    2,
    options.sampleRate ?? 44100,
  );
  for (const engine of engines) engine.dispose();
  return { left: buffer.getChannelData(0), right: buffer.getChannelData(1), sampleRate: buffer.sampleRate };
}

/** Decodes a track's bytes at the live context's sample rate, ready for `setMusicBuffer`. */
export function decodeTrack(bytes: ArrayBuffer): Promise<AudioBuffer> {
  return getContext().decodeAudioData(bytes);
}

export interface LifecycleMetadata {
  title: string;
  artist?: string;
}

/**
 * Keeps a session audible through tab switches, screen locks and device sleep: resumes the
 * context when the page is shown or focused and whenever the browser suspends or interrupts it
 * (unless the user paused), asks Safari for a "playback" audio session, and wires the Media
 * Session (lock-screen controls) to pause/play. Returns a function that removes it all.
 */
export function installLifecycleHandlers(
  engine: SoundEngine,
  metadata: LifecycleMetadata = { title: "NeuroTune session" },
): () => void {
  const context = engine.context;
  const wake = (): void => {
    if (engine.isActive && !engine.isPaused) void engine.resume().catch(() => undefined);
  };
  const onVisibility = (): void => {
    if (document.visibilityState === "visible") wake();
  };
  const onStateChange = (state: string): void => {
    if (state === "suspended" || state === "interrupted") wake();
    syncPlaybackState();
  };
  const mediaSession = typeof navigator !== "undefined" && "mediaSession" in navigator ? navigator.mediaSession : null;
  const syncPlaybackState = (): void => {
    if (!mediaSession) return;
    mediaSession.playbackState = !engine.isActive ? "none" : engine.isPaused ? "paused" : "playing";
  };

  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("focus", wake);
  window.addEventListener("pageshow", wake);
  // After a long sleep some browsers only allow resuming from a gesture: the next tap does it.
  window.addEventListener("pointerdown", wake, { passive: true });
  window.addEventListener("keydown", wake);
  context.on("statechange", onStateChange);

  // Safari 16.4+: a "playback" session keeps Web Audio going with the screen locked.
  const audioSession = (navigator as Navigator & { audioSession?: { type: string } }).audioSession;
  if (audioSession) audioSession.type = "playback";

  const handlers: [MediaSessionAction, () => Promise<void>][] = [
    ["play", () => engine.play()],
    ["pause", () => engine.pause()],
    ["stop", () => engine.stop()],
  ];
  // Browsers throw for actions they do not offer; those simply stay unset.
  const setAction = (action: MediaSessionAction, handler: MediaSessionActionHandler | null): void => {
    try {
      mediaSession?.setActionHandler(action, handler);
    } catch {
      return;
    }
  };
  if (mediaSession) {
    mediaSession.metadata = new MediaMetadata({ title: metadata.title, artist: metadata.artist ?? "NeuroTune" });
    for (const [action, run] of handlers) setAction(action, () => void run().then(syncPlaybackState));
    syncPlaybackState();
  }

  return () => {
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("focus", wake);
    window.removeEventListener("pageshow", wake);
    window.removeEventListener("pointerdown", wake);
    window.removeEventListener("keydown", wake);
    context.off("statechange", onStateChange);
    if (mediaSession) {
      for (const [action] of handlers) setAction(action, null);
      mediaSession.metadata = null;
      mediaSession.playbackState = "none";
    }
  };
}
