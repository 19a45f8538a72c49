import { getContext, type Analyser, type BaseContext, type ToneAudioNode } from "tone";

import { glideSec, rejoinSec } from "../beatOverride";
import { BEAT_HZ_MIN, CARRIER_HZ_MAX, CARRIER_HZ_MIN, MODULATION_HZ_MAX, beatMaxHz, clamp } from "../safetyLimits";
import { glides, glideValueAt, stepIndexAt, type Glide } from "../scheduleMath";
import type { ModulationSchedule, ModulationStep } from "../types";
import { follow, glideTo, type Binding } from "./automation";
import {
  CARRIER_GLIDE_SEC,
  DEFAULT_CARRIER_HZ,
  DEFAULT_VOLUME_CAP,
  FADE_IN_MIN_SEC,
  FADE_OUT_MIN_SEC,
  LIVE_START_LEAD_SEC,
  RESTART_FADE_SEC,
} from "./levels";
import { planMusic, type MusicInfo, type MusicOptions } from "./musicPlan";
import { SessionGraph } from "./SessionGraph";
import { ENGINE_LAYERS, MIX_PARTS, type EngineLayer, type EngineSettings, type MixPart } from "./engineSettings";

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
  /** Levels of beats and pulses, noise and music, 0..1 under the cap; missing parts are 1. */
  mix?: Partial<Record<MixPart, number>>;
  /** Master fade-in from silence, default 3 s. Live it is never shorter; offline it may be 0. */
  fadeInSec?: number;
  /** Modulate the music under every layer (true) or only during ambient steps (false, default). */
  entrainMusic?: boolean;
}

export type MusicResult = { ok: true } | { ok: false; reason: string };

const DISPOSED = "The sound engine has been disposed.";

/**
 * The audio engine: binaural beats, isochronic pulses and an ambient noise/music bed that follow a
 * modulation schedule with sample-accurate glides (spec §5.2).
 *
 * It exposes verbs (`start`, `applyStep`, `replaceSchedule`, `setMusicBuffer`, `setBeatOverride`,
 * `stop`, setters) and hides its node graph. Build it with no argument for live playback (Tone's
 * global context) or with an offline context for rendering (`renderOffline`); the code path is
 * the same.
 *
 * Ownership: the engine creates no node itself. It owns one `SessionGraph` per playing session
 * (see its doc comment for the signal graph) and the graphs still fading out after a stop or a
 * restart; each graph owns its nodes and its music beds. `ownedNodes()` lists all of them.
 * Disposal follows `ownership.ts`: after `dispose()` verbs are no-ops, `start` plays nothing,
 * `setMusic` answers `{ ok: false }` and queries answer as stopped.
 */
export class SoundEngine {
  private graph: SessionGraph | null = null;
  private schedule: ModulationSchedule | null = null;
  /** Session second `sessionSec` is heard at context time `ctxSec`. */
  private anchor = { ctxSec: 0, sessionSec: 0 };
  private settings: EngineSettings = {
    carrierHz: DEFAULT_CARRIER_HZ,
    volumeCap: DEFAULT_VOLUME_CAP,
    balance: 0,
    layers: { binaural: true, isochronic: true, ambient: true, noise: true, music: true },
    mix: { tone: 1, noise: 1, music: 1 },
    entrainMusic: false,
  };
  private music: { options: MusicOptions; buffer: AudioBuffer } | null = null;
  private musicToken = 0;
  /** A beat set by hand (the schedule's rate curve is not followed while set), or null. */
  private beatOverrideHz: number | null = null;
  /** Graphs fading out after stop/restart, disposed when their fade ends (or at `dispose`). */
  private readonly retiring = new Map<SessionGraph, () => void>();
  private isDisposed = false;

  constructor(readonly context: BaseContext = getContext()) {}

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Every node the engine owns now: the playing graph's and those of graphs fading out. */
  ownedNodes(): readonly ToneAudioNode[] {
    const graphs = [...this.retiring.keys(), ...(this.graph ? [this.graph] : [])];
    return graphs.flatMap((graph) => graph.ownedNodes());
  }

  /** True while a session is playing, false once stopped. */
  get isActive(): boolean {
    return this.graph !== null;
  }

  /**
   * Starts playing `schedule` from `options.atSec` with a fade-in from silence. Call it from a
   * user gesture: the context is resumed before anything is awaited.
   */
  async start(schedule: ModulationSchedule, options: StartOptions = {}): Promise<void> {
    if (this.isDisposed) return;
    const ready = this.context.isOffline || this.context.state === "running" ? undefined : this.context.resume();
    this.settings = {
      carrierHz: clamp(options.carrierHz ?? this.settings.carrierHz, CARRIER_HZ_MIN, CARRIER_HZ_MAX),
      volumeCap: clamp(options.volumeCap ?? this.settings.volumeCap, 0, 1),
      balance: clamp(options.balance ?? this.settings.balance, -1, 1),
      layers: Object.fromEntries(ENGINE_LAYERS.map((l) => [l, options.layers?.[l] ?? this.settings.layers[l]])) as Record<
        EngineLayer,
        boolean
      >,
      mix: Object.fromEntries(MIX_PARTS.map((p) => [p, clamp(options.mix?.[p] ?? this.settings.mix[p], 0, 1)])) as Record<MixPart, number>,
      entrainMusic: options.entrainMusic ?? this.settings.entrainMusic,
    };
    if (this.graph) this.retire(this.graph, RESTART_FADE_SEC);
    this.graph = null;
    await ready;
    // Disposed while the context was resuming (the page went away): build nothing.
    if (this.isDisposed) return;

    const graph = new SessionGraph(this.context, this.settings);
    // Live, the sound starts a moment ahead rather than Tone's whole look-ahead (0.1 s) ahead:
    // it fades in from silence, so a start the audio thread sees a little late is still smooth.
    const startCtx = this.context.isOffline ? this.context.now() : this.context.currentTime + LIVE_START_LEAD_SEC;
    const requestedFadeSec = Math.max(0, options.fadeInSec ?? FADE_IN_MIN_SEC);
    const fadeInSec = this.context.isOffline ? requestedFadeSec : Math.max(FADE_IN_MIN_SEC, requestedFadeSec);
    this.graph = graph;
    this.schedule = schedule;
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
    if (this.isDisposed) return;
    this.schedule = schedule;
    const graph = this.graph;
    if (!graph) return;
    this.anchor = { ctxSec: this.context.currentTime, sessionSec: nowSec };
    this.rebase(this.allBindings(graph), this.context.now());
  }

  setCarrier(hz: number): void {
    if (this.isDisposed) return;
    this.settings.carrierHz = clamp(hz, CARRIER_HZ_MIN, CARRIER_HZ_MAX);
    // A schedule that sets its own carrier keeps it (the listener's is kept for the next session).
    if (this.graph && !this.scheduleSetsCarrier()) {
      glideTo(this.graph.carrier, this.settings.carrierHz, this.context.now(), CARRIER_GLIDE_SEC);
    }
  }

  /** Hard cap on the master level (0–1 of full scale); anything above 1 is clamped. */
  setVolumeCap(cap: number): void {
    if (this.isDisposed) return;
    this.settings.volumeCap = clamp(cap, 0, 1);
    this.graph?.setVolumeCap(this.settings.volumeCap, this.context.now());
  }

  setBalance(balance: number): void {
    if (this.isDisposed) return;
    this.settings.balance = clamp(balance, -1, 1);
    this.graph?.setBalance(this.settings.balance, this.context.now());
  }

  /** Levels one part of the sound (beats and pulses, noise, music), 0..1 under the hard cap. */
  setMix(part: MixPart, level: number): void {
    if (this.isDisposed) return;
    this.settings.mix[part] = clamp(level, 0, 1);
    this.graph?.setMix(part, this.settings.mix[part], this.context.now());
  }

  setLayerEnabled(layer: EngineLayer, on: boolean): void {
    if (this.isDisposed) return;
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
    if (this.isDisposed) return;
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
    if (this.isDisposed) return;
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
    if (this.isDisposed) return { ok: false, reason: DISPOSED };
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
    if (this.isDisposed) return { ok: false, reason: DISPOSED };
    if (token !== this.musicToken) return { ok: false, reason: "Superseded by another track." };
    this.setMusicBuffer(buffer, options);
    return { ok: true };
  }

  /**
   * `setMusic` for a track already decoded (the caller showed the download's progress); `null`
   * fades the music out. Kept across `stop`/`start`, and supersedes a `setMusic` still loading.
   */
  setMusicBuffer(buffer: AudioBuffer | null, options: MusicOptions = {}): void {
    if (this.isDisposed) return;
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
    if (graph) await this.retire(graph, Math.max(FADE_OUT_MIN_SEC, fadeOutSec));
  }

  /** Frees everything now, without a fade (unmount, or after an offline render). Idempotent. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.musicToken++;
    this.music = null;
    this.graph?.dispose();
    this.graph = null;
    for (const finish of [...this.retiring.values()]) finish();
  }

  /** Resumes a context the browser suspended (tab hidden, device slept) while this engine plays. */
  async resume(): Promise<void> {
    if (!this.graph || this.context.isOffline || this.context.state === "running") return;
    await this.context.resume();
  }

  private sessionAt(ctxSec: number): number {
    return this.anchor.sessionSec + (ctxSec - this.anchor.ctxSec);
  }

  private toCtx = (sessionSec: number): number => this.anchor.ctxSec + (sessionSec - this.anchor.sessionSec);

  /** Every schedule-driven parameter, except the rate while the beat is set by hand. */
  private allBindings(graph: SessionGraph): Binding[] {
    const own = this.beatOverrideHz === null ? graph.bindings : graph.bindings.filter((b) => b !== graph.rateBinding);
    const carrier = this.scheduleSetsCarrier() ? [graph.carrierBinding] : [];
    return [...own, ...carrier, ...(graph.musicBed?.bindings(this.settings.entrainMusic) ?? [])];
  }

  /** Whether the schedule's steps carry their own carrier (all of them do, or none). */
  private scheduleSetsCarrier(): boolean {
    return (this.schedule?.steps ?? []).some((step) => step.carrier_hz != null);
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
    const at = this.context.now();
    const bed = graph.replaceMusic({ buffer, plan: planMusic(buffer, this.schedule, options) }, at);
    if (bed) this.pin(bed.bindings(this.settings.entrainMusic), at);
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
