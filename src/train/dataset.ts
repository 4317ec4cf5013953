import { join } from 'node:path';
import { trainingRejects } from '../audio/stats.js';
import { readWavHeader } from '../audio/wav-header.js';
import { listWavFiles } from '../audio/wav-files.js';
import { describeError } from '../errors.js';
import { seededRandom } from '../util/random.js';

export interface RejectedWav {
  file: string;
  reason: string;
}

/**
 * Splits the wavs of `dir` (`*.wav` directly in it, in name order so that runs are reproducible)
 * into those training can read and those it cannot, from their headers alone (a few dozen bytes
 * each): unreadable, not a wav, or not 16 kHz mono 16-bit PCM. A run then trains on the rest
 * instead of stopping at the first bad file.
 */
export function checkWavs(dir: string): { paths: string[]; rejected: RejectedWav[] } {
  const paths: string[] = [];
  const rejected: RejectedWav[] = [];
  for (const name of listWavFiles(dir)) {
    const path = join(dir, name);
    try {
      const problem = trainingRejects(readWavHeader(path));
      if (problem) rejected.push({ file: name, reason: problem });
      else paths.push(path);
    } catch (error) {
      rejected.push({ file: name, reason: describeError(error) });
    }
  }
  return { paths, rejected };
}

/** The order of the clips in `epoch` (1-based): a Fisher–Yates shuffle seeded by the run's seed and the epoch. */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const random = seededRandom(Math.imul(seed + 1, 0x9e3779b1) ^ epoch);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Splits an epoch's order into batches of `batchSize`; the last may be smaller (PyTorch's DataLoader keeps it). */
export function batches<T>(items: T[], batchSize: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) out.push(items.slice(i, i + batchSize));
  return out;
}
