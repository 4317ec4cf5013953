import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';

/** The wav files training reads: `*.wav` directly in `dir`, in name order so runs are reproducible. */
export function listWavs(dir: string): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${dir} is not a directory: pass the folder boiler convert wrote`);
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read wav dir ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return entries
    .filter((name) => name.toLowerCase().endsWith('.wav'))
    .sort()
    .map((name) => join(dir, name));
}

/** mulberry32: a small seeded PRNG, so that a resumed run shuffles exactly as an uninterrupted one. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
