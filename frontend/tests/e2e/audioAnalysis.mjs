/**
 * Signal analysis for the audio tests: plain Node ESM, no dependencies, so the Playwright test can
 * run it on samples pulled out of the page and the unit tests can prove it on synthetic signals.
 *
 * fftPeakHz      -- strongest frequency in a band: Hann window, zero-padded FFT, parabolic peak
 *                   interpolation on log magnitudes (±0.1 Hz on 2 s of a 200 Hz tone at 2^19 points).
 * envelopeRateHz -- how often the loudness repeats: rectify, low-pass, remove the mean, then the
 *                   strongest envelope frequency (the gating / modulation rate).
 * maxSampleJump  -- the largest step between neighbouring samples, to catch clicks.
 */

const DEFAULT_FFT_SIZE = 2 ** 19;

/** In-place iterative radix-2 FFT; `re`/`im` lengths must be the same power of two. */
function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = (-2 * Math.PI) / size;
    const wRe = Math.cos(step);
    const wIm = Math.sin(step);
    for (let start = 0; start < n; start += size) {
      let curRe = 1;
      let curIm = 0;
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const tRe = re[b] * curRe - im[b] * curIm;
        const tIm = re[b] * curIm + im[b] * curRe;
        re[b] = re[a] - tRe;
        im[b] = im[a] - tIm;
        re[a] += tRe;
        im[a] += tIm;
        const nextRe = curRe * wRe - curIm * wIm;
        curIm = curRe * wIm + curIm * wRe;
        curRe = nextRe;
      }
    }
  }
}

function nextPowerOfTwo(n) {
  return 2 ** Math.ceil(Math.log2(Math.max(2, n)));
}

/**
 * Magnitude spectrum of `samples` (Hann-windowed, zero-padded to `fftSize`): bin k is k·sampleRate/fftSize Hz.
 * @param {ArrayLike<number>} samples
 * @param {number} fftSize
 */
function magnitudeSpectrum(samples, fftSize) {
  const n = samples.length;
  const re = new Float64Array(fftSize);
  const im = new Float64Array(fftSize);
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    re[i] = samples[i] * hann;
  }
  fft(re, im);
  const half = fftSize / 2;
  const mag = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) mag[k] = Math.hypot(re[k], im[k]);
  return mag;
}

/**
 * The frequency (Hz) of the strongest component between minHz and maxHz.
 * @param {ArrayLike<number>} samples
 * @param {number} sampleRate
 * @param {{minHz?: number, maxHz?: number, fftSize?: number}} [options]
 */
export function fftPeakHz(samples, sampleRate, { minHz = 20, maxHz = sampleRate / 2, fftSize } = {}) {
  const size = fftSize ?? Math.max(DEFAULT_FFT_SIZE, nextPowerOfTwo(samples.length));
  if (samples.length > size) throw new Error(`fftSize ${size} is shorter than the signal (${samples.length})`);
  const mag = magnitudeSpectrum(samples, size);
  const binHz = sampleRate / size;
  const lo = Math.max(1, Math.ceil(minHz / binHz));
  const hi = Math.min(mag.length - 2, Math.floor(maxHz / binHz));
  let best = lo;
  for (let k = lo; k <= hi; k++) if (mag[k] > mag[best]) best = k;
  // Parabola through the log magnitudes of the peak and its neighbours (exact for a Gaussian lobe).
  const a = Math.log(mag[best - 1] + 1e-30);
  const b = Math.log(mag[best] + 1e-30);
  const c = Math.log(mag[best + 1] + 1e-30);
  const denom = a - 2 * b + c;
  const offset = denom === 0 ? 0 : (0.5 * (a - c)) / denom;
  return (best + offset) * binHz;
}

/**
 * The envelope of `samples` at `envelopeRate` Hz: full-wave rectified, then two one-pole low-passes
 * (cutoff `cutoffHz`, well above any gating rate but far below a 100–500 Hz carrier), decimated.
 */
function envelope(samples, sampleRate, cutoffHz, envelopeRate) {
  const alpha = 1 - Math.exp((-2 * Math.PI * cutoffHz) / sampleRate);
  const stride = Math.max(1, Math.floor(sampleRate / envelopeRate));
  const out = [];
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    s1 += alpha * (Math.abs(samples[i]) - s1);
    s2 += alpha * (s1 - s2);
    if (i % stride === 0) out.push(s2);
  }
  return { values: out, rate: sampleRate / stride };
}

/**
 * The rate (Hz) at which the loudness of `samples` repeats: the gating rate of an isochronic tone,
 * or the modulation rate of an AM bed. Searches between minHz and maxHz (default 0.5–45 Hz).
 * @param {ArrayLike<number>} samples
 * @param {number} sampleRate
 * @param {{minHz?: number, maxHz?: number, cutoffHz?: number}} [options]
 */
export function envelopeRateHz(samples, sampleRate, { minHz = 0.5, maxHz = 45, cutoffHz = 80 } = {}) {
  const { values, rate } = envelope(samples, sampleRate, cutoffHz, 1000);
  // Drop the low-pass settling time, then the mean, so the DC bin cannot win.
  const settle = Math.min(values.length >> 2, Math.ceil((rate * 2) / cutoffHz));
  const body = values.slice(settle);
  const mean = body.reduce((sum, v) => sum + v, 0) / body.length;
  const centred = body.map((v) => v - mean);
  return fftPeakHz(centred, rate, { minHz, maxHz, fftSize: Math.max(2 ** 16, nextPowerOfTwo(centred.length)) });
}

/**
 * The largest absolute difference between consecutive samples.
 * @param {ArrayLike<number>} samples
 */
export function maxSampleJump(samples) {
  let max = 0;
  for (let i = 1; i < samples.length; i++) {
    const jump = Math.abs(samples[i] - samples[i - 1]);
    if (jump > max) max = jump;
  }
  return max;
}
