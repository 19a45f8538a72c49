import { getContext } from "tone";

/** Decodes a track's bytes at the live context's sample rate, ready for `setMusicBuffer`. */
export function decodeTrack(bytes: ArrayBuffer): Promise<AudioBuffer> {
  return getContext().decodeAudioData(bytes);
}
