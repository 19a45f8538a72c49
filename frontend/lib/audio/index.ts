/**
 * The audio engine's public surface, loaded lazily (`import("@/lib/audio")`) when sound is first
 * needed so that pages stay light. Start with `SoundEngine` (its doc comment) and `SessionGraph`
 * (the signal graph).
 */
export { decodeTrack } from "./decodeTrack";
export { installLifecycleHandlers } from "./lifecycle";
export { liveContextRunning, prepareLiveContext, resumeLiveContext } from "./liveContext";
export type { MusicInfo, MusicOptions } from "./musicPlan";
export { renderOffline, type OfflineRenderOptions, type RenderedAudio } from "./offline";
export type { EngineLayer, MixPart } from "./engineSettings";
export { SoundEngine, type MusicResult, type StartOptions } from "./SoundEngine";
export { playWakeChime, WAKE_CHIME_SEC } from "./wakeChime";
