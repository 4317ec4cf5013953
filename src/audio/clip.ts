import wavefile from 'wavefile';
import { UserError } from '../errors.js';
import { CLIP_SAMPLES, SAMPLE_RATE } from '../model/vqvae2.js';
import { readUserFile } from '../util/read-file.js';

/** Clips are CLIP_SAMPLES (2**17) samples at SAMPLE_RATE (16 kHz): the model's input, stated in src/model/vqvae2.ts. */
export { CLIP_SAMPLES, SAMPLE_RATE };

/** A wav's format as its header states it. */
export interface WavFormat {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

/** What is wrong with a wav's format for the model ("44100 Hz, 2 channel(s), …"), or undefined when it is 16 kHz mono 16-bit PCM. */
export function wavFormatProblem({ audioFormat, channels, sampleRate, bitsPerSample }: WavFormat): string | undefined {
  if (audioFormat === 1 && bitsPerSample === 16 && channels === 1 && sampleRate === SAMPLE_RATE) return undefined;
  return `${sampleRate} Hz, ${channels} channel(s), ${bitsPerSample}-bit (format ${audioFormat})`;
}

/**
 * Decodes a 16 kHz mono 16-bit PCM wav to floats in [-1, 1) (int16 / 32768, as torchaudio.load).
 * Any other rate, channel count or format is rejected, naming the file and the fix.
 */
export function decodeWav(bytes: Uint8Array, name: string): Float32Array {
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(bytes);
  } catch (error) {
    throw new UserError(`${name} is not a readable wav file (${(error as Error).message}): convert it with boiler convert`);
  }
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number };
  const problem = wavFormatProblem({ ...fmt, channels: fmt.numChannels });
  if (problem) throw new UserError(`${name} is ${problem}; boiler needs 16 kHz mono 16-bit PCM: convert it with boiler convert`);
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

export function readWav(path: string): Float32Array {
  const bytes = readUserFile(path);
  return decodeWav(bytes, path);
}

/**
 * The original loader: repeats a short clip end to end and truncates a long one to `length`
 * samples, then divides by the clip's maximum (the largest sample, not the largest magnitude).
 *
 * Where that division would give NaN or Inf, we depart from the original: a clip whose maximum
 * is not positive (all-negative or silent) is divided by its largest magnitude instead, and an
 * all-zero clip (including an empty one) stays all zeros.
 */
export function fitClip(samples: Float32Array, length = CLIP_SAMPLES): Float32Array {
  const out = new Float32Array(length);
  if (samples.length === 0) return out;
  for (let at = 0; at < length; at += samples.length) {
    out.set(samples.subarray(0, Math.min(samples.length, length - at)), at);
  }
  let max = -Infinity;
  let peak = 0;
  for (const v of out) {
    if (v > max) max = v;
    if (Math.abs(v) > peak) peak = Math.abs(v);
  }
  const divisor = max > 0 ? max : peak;
  if (divisor > 0) for (let i = 0; i < length; i++) out[i] /= divisor;
  return out;
}

/** A wav file as the model sees it: (2**17) floats, repeated or truncated and normalised. */
export function loadClip(path: string): Float32Array {
  return fitClip(readWav(path));
}

/** A remainder shorter than this (1 s) after the last whole window is left out: too little audio to stand for itself. */
export const MIN_WINDOW_SAMPLES = SAMPLE_RATE;

/** How much of a clip is embedded: its first window only (the original), or all of it, window by window. */
export type WindowMode = 'first' | 'whole';

/** A clip cut into the windows the model sees, and how much of its audio they hold. */
export interface ClipWindows {
  /** Each window as loadClip returns a clip: 2**17 samples, repeated when shorter, divided by its maximum. */
  windows: Float32Array[];
  /** Seconds of the clip's own audio in the windows (a repeated short clip counts once). */
  seconds: number;
}

/**
 * The windows of a clip: `first` gives loadClip's one window. `whole` gives successive windows of
 * 2**17 samples; after the last whole one, a remainder of at least MIN_WINDOW_SAMPLES is one more
 * window, filled as a short clip is (repeated), and a shorter remainder is left out. A clip no
 * longer than one window is one window either way.
 */
export function clipWindows(samples: Float32Array, mode: WindowMode): ClipWindows {
  if (mode === 'first' || samples.length <= CLIP_SAMPLES) {
    return { windows: [fitClip(samples)], seconds: Math.min(samples.length, CLIP_SAMPLES) / SAMPLE_RATE };
  }
  const windows: Float32Array[] = [];
  let used = 0;
  for (let start = 0; start < samples.length; start += CLIP_SAMPLES) {
    const window = samples.subarray(start, start + CLIP_SAMPLES);
    if (window.length < MIN_WINDOW_SAMPLES) break;
    windows.push(fitClip(window));
    used += window.length;
  }
  return { windows, seconds: used / SAMPLE_RATE };
}
