import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { StartProgress } from '../progress.js';
import { MelPool } from '../train/mel-pool.js';
import { MEL } from '../audio/mel.js';
import { randomUnitVectors } from '../util/random.js';
import { mfccStatistics, standardise } from './mfcc.js';

export const BASELINES = ['random', 'mfcc'] as const;
export type BaselineName = (typeof BASELINES)[number];

/** Clips per request to the mel workers. */
const MEL_BATCH = 8;

/** The chance baseline: a seeded random direction per clip, of the model's dimension. */
export function randomEmbeddings(count: number, dimension: number, seed: number): Float32Array[] {
  return randomUnitVectors(count, dimension, seed);
}

/**
 * The classical baseline: MFCC mean-and-std statistics of each clip (loaded as the model loads
 * it: repeated or cut to 2**17 samples, divided by its maximum), standardised over the clips.
 * `files` are the model directory's wav names, looked for in `wavDir`.
 */
export async function mfccEmbeddings(wavDir: string, files: readonly string[], startProgress?: StartProgress): Promise<Float32Array[]> {
  const paths = files.map((file) => join(wavDir, file));
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length) {
    throw new UserError(
      `${missing.length} of the ${files.length} indexed clips are not in ${wavDir} (${missing[0]} …): ` +
        'pass --wav-dir the directory that boiler index embedded',
    );
  }
  const progress = startProgress?.({ label: 'mfcc', total: files.length, unit: 'clips' });
  const pool = new MelPool(availableParallelism());
  try {
    const statistics: Float32Array[] = [];
    const batch = (start: number) => (start < paths.length ? pool.melBatch(paths.slice(start, start + MEL_BATCH)) : undefined);
    let next = batch(0);
    for (let start = 0; start < paths.length; start += MEL_BATCH) {
      const mels = await next!;
      // The workers compute the next batch while this thread takes the statistics of this one.
      next = batch(start + MEL_BATCH);
      const size = MEL.nMels * MEL.frames;
      for (let at = 0; at < mels.length; at += size) statistics.push(mfccStatistics(mels.subarray(at, at + size), MEL.frames));
      progress?.tick(mels.length / size);
    }
    return standardise(statistics);
  } finally {
    progress?.stop();
    await pool.close();
  }
}
