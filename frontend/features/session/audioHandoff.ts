/**
 * One tap to sound: the audio engine is loaded ahead of the tap (when the browser is idle), the
 * tap itself lets the live audio context run (`unlockAudio`, synchronously inside the handler),
 * and the session it started is handed to the session page, which plays it at once. Navigation is
 * client-side, so the running context is the same one.
 */
type AudioModule = typeof import("@/lib/audio");

let loaded: AudioModule | null = null;
let loading: Promise<AudioModule> | null = null;
const handedOff = new Set<number>();

/** Tone.js and the engine, loaded once per document. */
export function loadAudio(): Promise<AudioModule> {
  loading ??= import("@/lib/audio").then((module) => {
    loaded = module;
    return module;
  });
  return loading;
}

/** Loads the engine when the browser is idle, so that a later tap finds it ready. */
export function preloadAudio(): () => void {
  if (loaded) return () => undefined;
  const idle = window.requestIdleCallback ?? ((run: () => void) => window.setTimeout(run, 200));
  const cancel = window.cancelIdleCallback ?? window.clearTimeout;
  const handle = idle(() => void loadAudio().then((audio) => idle(() => audio.prepareLiveContext())));
  return () => cancel(handle);
}

/** Call inside a user gesture: the live audio context may run from now on. */
export function unlockAudio(): void {
  if (loaded) void loaded.resumeLiveContext();
  else void loadAudio().then((audio) => audio.resumeLiveContext());
}

/** Start's hand-off: the session page that opens `sessionId` next plays it without another tap. */
export function handOffPlayback(sessionId: number): void {
  handedOff.add(sessionId);
}

/** True once for a session handed off to this page (and forgets the hand-off). */
export function takeHandOff(sessionId: number): boolean {
  return handedOff.delete(sessionId);
}
