/** Types for audioAnalysis.mjs (plain ESM so Node and the Playwright test can run it untranspiled). */

export interface PeakOptions {
  minHz?: number;
  maxHz?: number;
  /** Zero-padded FFT length, a power of two ≥ the signal; default max(2^19, next power of two). */
  fftSize?: number;
}

export interface EnvelopeOptions {
  minHz?: number;
  maxHz?: number;
  /** Envelope low-pass cutoff; keep it above the rate sought and well below the carrier. */
  cutoffHz?: number;
}

export function fftPeakHz(samples: ArrayLike<number>, sampleRate: number, options?: PeakOptions): number;
export function envelopeRateHz(samples: ArrayLike<number>, sampleRate: number, options?: EnvelopeOptions): number;
export function maxSampleJump(samples: ArrayLike<number>): number;
