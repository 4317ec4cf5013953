/**
 * The original's mel frontend (Audio2Mel, sizes in MEL): reflect-pad on both sides, frames with
 * a hop (no centering), periodic Hann window, STFT magnitude, librosa's Slaney mel basis,
 * log10(max(x, 1e-5)). (N, 2**17) samples → (N, 80, 256).
 *
 * Plain TypeScript in float64 rather than tfjs: it runs in worker threads beside training, and
 * the wasm backend has no FFT kernel.
 */

import { MEL } from '../model/vqvae2.js';

/** The front end's sizes (rate, window, hop, mels, frames), stated with the rest of the model in src/model/vqvae2.ts. */
export { MEL };

const N_BINS = MEL.nFft / 2 + 1;

// librosa's Slaney mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** Triangular filters in float64, as librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney'). */
function melBasis64(): Float64Array {
  const { nMels, sampleRate, nFft, fMin, fMax } = MEL;
  const melMin = hzToMel(fMin);
  const melMax = hzToMel(fMax);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1)));
  const weights = new Float64Array(nMels * N_BINS);
  for (let m = 0; m < nMels; m++) {
    const [left, centre, right] = [edges[m], edges[m + 1], edges[m + 2]];
    const areaNorm = 2 / (right - left);
    for (let k = 0; k < N_BINS; k++) {
      const freq = (k * sampleRate) / nFft;
      const rising = (freq - left) / (centre - left);
      const falling = (right - freq) / (right - centre);
      weights[m * N_BINS + k] = Math.max(0, Math.min(rising, falling)) * areaNorm;
    }
  }
  return weights;
}

/** The 80×513 mel filterbank, row-major (mel × frequency bin). */
export function melBasis(): Float32Array {
  return Float32Array.from(melBasis64());
}

/** A filter's nonzero bins: the product with a spectrum only needs these. */
interface SparseFilter {
  first: number;
  weights: Float64Array;
}

function sparseFilters(): SparseFilter[] {
  const dense = melBasis64();
  return Array.from({ length: MEL.nMels }, (_, m) => {
    const row = dense.subarray(m * N_BINS, (m + 1) * N_BINS);
    let first = 0;
    while (first < N_BINS && row[first] === 0) first++;
    let last = N_BINS - 1;
    while (last > first && row[last] === 0) last--;
    return { first, weights: row.slice(first, last + 1) };
  });
}

/**
 * A real FFT of size n (a power of two) as a complex FFT of size n/2 over the even/odd samples
 * packed as real/imaginary parts, then split into the n/2 + 1 bins of the real spectrum.
 */
class RealFft {
  private readonly half: number;
  private readonly bitReverse: Uint32Array;
  /** cos/sin of −2πk/half for the half-size complex FFT. */
  private readonly cosHalf: Float64Array;
  private readonly sinHalf: Float64Array;
  /** cos/sin of −2πk/n for the split step. */
  private readonly cosFull: Float64Array;
  private readonly sinFull: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(n: number) {
    const half = n / 2;
    this.half = half;
    const bits = Math.log2(half);
    this.bitReverse = new Uint32Array(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitReverse[i] = r;
    }
    this.cosHalf = Float64Array.from({ length: half / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / half));
    this.sinHalf = Float64Array.from({ length: half / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / half));
    this.cosFull = Float64Array.from({ length: half }, (_, k) => Math.cos((-2 * Math.PI * k) / n));
    this.sinFull = Float64Array.from({ length: half }, (_, k) => Math.sin((-2 * Math.PI * k) / n));
    this.re = new Float64Array(half);
    this.im = new Float64Array(half);
  }

  /** Writes |X[k]| for k = 0..n/2 of the real signal `x` (length n) into `out`. */
  magnitude(x: Float64Array, out: Float64Array): void {
    const { half, re, im } = this;
    for (let i = 0; i < half; i++) {
      const j = this.bitReverse[i];
      re[j] = x[2 * i];
      im[j] = x[2 * i + 1];
    }
    for (let size = 2; size <= half; size *= 2) {
      const step = half / size;
      const span = size / 2;
      for (let start = 0; start < half; start += size) {
        for (let k = 0; k < span; k++) {
          const wr = this.cosHalf[k * step];
          const wi = this.sinHalf[k * step];
          const a = start + k;
          const b = a + span;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
    // Z = FFT(even + i·odd); X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[half−k]) / 2, O = (Z[k] − conj Z[half−k]) / 2i.
    out[0] = Math.abs(re[0] + im[0]);
    out[half] = Math.abs(re[0] - im[0]);
    for (let k = 1; k < half; k++) {
      const zr = re[k];
      const zi = im[k];
      const cr = re[half - k];
      const ci = -im[half - k];
      const er = (zr + cr) / 2;
      const ei = (zi + ci) / 2;
      const or = (zi - ci) / 2;
      const oi = -(zr - cr) / 2;
      const wr = this.cosFull[k];
      const wi = this.sinFull[k];
      const xr = er + or * wr - oi * wi;
      const xi = ei + or * wi + oi * wr;
      out[k] = Math.sqrt(xr * xr + xi * xi);
    }
  }
}

/** Periodic Hann window (torch.hann_window(win, periodic=True)). */
function hannWindow(length: number): Float64Array {
  return Float64Array.from({ length }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length));
}

/** Index into a signal reflected at both ends (numpy/torch 'reflect': the edge sample is not repeated). */
function reflect(i: number, length: number): number {
  if (i < 0) return -i;
  if (i >= length) return 2 * (length - 1) - i;
  return i;
}

let shared: { fft: RealFft; window: Float64Array; filters: SparseFilter[] } | undefined;

/**
 * Log-mel spectrograms of `count` clips of MEL.samples floats each, concatenated in `clips`:
 * count × 80 × 256 floats, row-major (clip, mel, frame).
 */
export function logMel(clips: Float32Array, count: number): Float32Array {
  const { samples, nFft, hop, pad, nMels, frames } = MEL;
  if (clips.length !== count * samples) {
    throw new RangeError(`logMel expects ${count} × ${samples} samples, got ${clips.length}`);
  }
  shared ??= { fft: new RealFft(nFft), window: hannWindow(MEL.win), filters: sparseFilters() };
  const { fft, window, filters } = shared;
  const frame = new Float64Array(nFft);
  const spectrum = new Float64Array(N_BINS);
  const out = new Float32Array(count * nMels * frames);
  for (let c = 0; c < count; c++) {
    const clip = clips.subarray(c * samples, (c + 1) * samples);
    for (let t = 0; t < frames; t++) {
      const start = t * hop - pad;
      for (let i = 0; i < nFft; i++) frame[i] = clip[reflect(start + i, samples)] * window[i];
      fft.magnitude(frame, spectrum);
      for (let m = 0; m < nMels; m++) {
        const { first, weights } = filters[m];
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * spectrum[first + k];
        out[(c * nMels + m) * frames + t] = Math.log10(Math.max(sum, 1e-5));
      }
    }
  }
  return out;
}
