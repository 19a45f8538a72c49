/**
 * The engine's loudness and timing in one place. Levels are peak gains, modest so that every
 * layer summed stays below full scale at a volume cap of 1; times are the shortest glides and
 * fades the engine allows itself, so nothing it does is abrupt.
 */

/** Before the listener's preferences arrive (the backend's UserPreferences defaults). */
export const DEFAULT_CARRIER_HZ = 200;
export const DEFAULT_VOLUME_CAP = 0.5;

export const TONE_PEAK = 0.2;
export const AMBIENT_TONE_PEAK = 0.2;
export const NOISE_BED_PEAK = 0.1;
export const NOISE_AMBIENT_PEAK = 0.35;
export const MUSIC_PEAK = 0.35;
/** Ambient AM swings the level between 1 − depth and 1: gentle, never a gate. */
export const AM_DEPTH = 0.3;

export const FADE_IN_MIN_SEC = 3;
/** A live start is scheduled this far ahead of the audio clock (the fade-in hides any lateness). */
export const LIVE_START_LEAD_SEC = 0.02;
export const FADE_OUT_MIN_SEC = 2;
/** Fade of the previous graph when `start` is called while playing. */
export const RESTART_FADE_SEC = 0.1;
/** Layer and noise levels crossfade over at least this long, whatever the step's ramp. */
export const LAYER_CROSSFADE_MIN_SEC = 2;
export const LAYER_TOGGLE_SEC = 1;
export const CARRIER_GLIDE_SEC = 2;
/** Volume and balance follow their controls this fast. */
export const CONTROL_GLIDE_SEC = 0.3;
/** A track fades in, and the one it replaces fades out, over this long. */
export const MUSIC_FADE_SEC = 2;
/** When a refined schedule disagrees with what is playing, glide to it over this long. */
export const CATCH_UP_SEC = 2;
