import { join } from 'node:path';
import { listWavFiles } from '../audio/wav-files.js';
import { seededRandom } from '../util/random.js';

/** The wav files training reads: `*.wav` directly in `dir`, in name order so runs are reproducible. */
export function listWavs(dir: string): string[] {
  return listWavFiles(dir).map((name) => join(dir, name));
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
