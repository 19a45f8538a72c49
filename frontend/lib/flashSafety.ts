/**
 * Keeping visuals from flashing. A spectrum drawn raw follows the sound, and an isochronic tone
 * gated at 16 Hz would make the bars flicker at 16 Hz. Every level the visualizer draws goes
 * through a first-order low-pass with time constant `tauSec`: changes faster than ~1/(2π·tau)
 * are smoothed away, so luminance cannot swing more than a few times a second (WCAG 2.3.1
 * asks for at most 3 flashes per second), whatever the beat rate.
 */
export const DISPLAY_TAU_SEC = 0.8;

export function smoothLevels(previous: Float32Array, target: ArrayLike<number>, dtSec: number, tauSec = DISPLAY_TAU_SEC): Float32Array {
  const alpha = 1 - Math.exp(-Math.max(dtSec, 0) / tauSec);
  const next = new Float32Array(previous.length);
  for (let i = 0; i < previous.length; i += 1) {
    const p = previous[i] ?? 0;
    next[i] = p + ((target[i] ?? 0) - p) * alpha;
  }
  return next;
}

/**
 * Counts flashes in a luminance series sampled every `dtSec`: a flash is a pair of opposing
 * changes, each of at least `threshold` (relative luminance 0–1), as in WCAG's general flash rule.
 */
export function flashesPerSecond(luminance: number[], dtSec: number, threshold = 0.1): number {
  let transitions = 0;
  let anchor = luminance[0] ?? 0;
  let direction = 0;
  for (const value of luminance) {
    const delta = value - anchor;
    if (Math.abs(delta) >= threshold) {
      const sign = Math.sign(delta);
      if (sign !== direction) transitions += 1;
      direction = sign;
      anchor = value;
    } else if (Math.sign(delta) === direction) {
      anchor = direction > 0 ? Math.max(anchor, value) : Math.min(anchor, value);
    }
  }
  const seconds = luminance.length * dtSec;
  return seconds > 0 ? Math.floor(transitions / 2) / seconds : 0;
}
