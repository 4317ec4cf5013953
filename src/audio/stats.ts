import { join, resolve } from 'node:path';
import { listWavFiles } from './wav-files.js';
import { CLIP_SAMPLES, SAMPLE_RATE, wavFormatProblem } from './clip.js';
import { readWavHeader, type WavHeader } from './wav-header.js';

/** One bar of a histogram: the values in [from, to), the last bar including its `to`. */
export interface Bin {
  from: number;
  to: number;
  count: number;
}

/** A wav that training's loader (decodeWav) would refuse, and why. */
export interface Rejection {
  file: string;
  reason: string;
}

export interface ClipStats {
  directory: string;
  /** Clips training would use; the length figures are theirs, in seconds. */
  observations: number;
  min: number;
  mean: number;
  max: number;
  histogram: Bin[];
  clipSamples: number;
  /** Clips under CLIP_SAMPLES samples, which training repeats end to end. */
  shorter: number;
  exact: number;
  /** Clips over CLIP_SAMPLES samples, which training truncates. */
  longer: number;
  rejected: Rejection[];
}

/** The smallest and largest value (a loop: spreading 100k values into Math.min overflows the stack). */
function range(values: number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** `count` equal-width bins from the smallest to the largest value; all values in one bin if they are equal. */
export function binValues(values: number[], count: number): Bin[] {
  if (values.length === 0) return [];
  const { min, max } = range(values);
  const width = (max - min) / count;
  const bins = Array.from({ length: count }, (_, i) => ({ from: min + i * width, to: i === count - 1 ? max : min + (i + 1) * width, count: 0 }));
  for (const value of values) {
    const index = width > 0 ? Math.min(count - 1, Math.floor((value - min) / width)) : 0;
    bins[index].count++;
  }
  return bins;
}

/** Why training's loader would refuse a wav with this header, or undefined when it takes it. */
export function trainingRejects(header: WavHeader): string | undefined {
  const problem = wavFormatProblem(header);
  return problem && `${problem}; training needs 16 kHz mono 16-bit PCM`;
}

/**
 * The distribution of clip lengths in a wav directory, from the files' headers alone (no
 * decoding), with the files that training would reject listed by name instead of counted.
 */
export function clipStats(directory: string, options: { bins?: number } = {}): ClipStats {
  const dir = resolve(directory);
  const frames: number[] = [];
  const rejected: Rejection[] = [];
  for (const name of listWavFiles(dir)) {
    let header: WavHeader;
    try {
      header = readWavHeader(join(dir, name));
    } catch (error) {
      rejected.push({ file: name, reason: `not a readable wav: ${(error as Error).message}` });
      continue;
    }
    const reason = trainingRejects(header);
    if (reason) rejected.push({ file: name, reason });
    else frames.push(header.frames);
  }
  const seconds = frames.map((n) => n / SAMPLE_RATE);
  const sum = seconds.reduce((a, b) => a + b, 0);
  const { min, max } = seconds.length ? range(seconds) : { min: 0, max: 0 };
  return {
    directory: dir,
    observations: seconds.length,
    min,
    mean: seconds.length ? sum / seconds.length : 0,
    max,
    histogram: binValues(seconds, options.bins ?? 20),
    clipSamples: CLIP_SAMPLES,
    shorter: frames.filter((n) => n < CLIP_SAMPLES).length,
    exact: frames.filter((n) => n === CLIP_SAMPLES).length,
    longer: frames.filter((n) => n > CLIP_SAMPLES).length,
    rejected,
  };
}
