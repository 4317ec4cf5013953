/**
 * Per-dimension standardisation of embeddings: subtract each dimension's mean over clips, divide
 * by its standard deviation (a dimension constant over the clips becomes 0). Pooled statistics
 * (MFCC means and spreads, averaged latents) have dimensions of very different scales, and
 * without it the largest (the loudness) decides every cosine alone.
 */
import { seededRandom } from '../util/random.js';
import { MFCC_ENCODER } from '../model/encoders.js';
import { repairAdvice } from './model-manifest.js';
import { modelFile } from './model-dir.js';
import type { Manifest } from './types.js';
import { DamagedFile, readCommitted } from './model-index.js';

/** What the model directory stores: each dimension's mean and (population) standard deviation. */
export interface EmbeddingStatistics {
  /** Clips the statistics were taken over. */
  clips: number;
  mean: number[];
  std: number[];
}

/** Clips a model directory's statistics are taken from, at most. */
export const STATISTICS_SAMPLE = 256;

/** A spread at or below this is a constant dimension. */
const CONSTANT = 1e-12;

/**
 * Whether an encoder's model directory is standardised when neither --standardise nor
 * --no-standardise is given: mfcc only. MFCCs need it (the first coefficient, loudness, would
 * otherwise decide every cosine); the learned encoders' pooled activations, measured on the
 * labelled speech and drum sets, lost precision with it (digits 0.70 → 0.65, drums 0.73 → 0.70).
 */
export function standardisedByDefault(encoder: string): boolean {
  return encoder === MFCC_ENCODER;
}

export function embeddingStatistics(vectors: readonly Float32Array[]): EmbeddingStatistics {
  const dimension = vectors[0]?.length ?? 0;
  const mean = new Float64Array(dimension);
  const spread = new Float64Array(dimension);
  for (const v of vectors) for (let d = 0; d < dimension; d++) mean[d] += v[d] / vectors.length;
  for (const v of vectors) for (let d = 0; d < dimension; d++) spread[d] += (v[d] - mean[d]) ** 2 / vectors.length;
  return { clips: vectors.length, mean: Array.from(mean), std: Array.from(spread, Math.sqrt) };
}

/**
 * `vector` standardised with `statistics`. It is not scaled to unit length: search is by cosine,
 * which does not see length, and the MFCC baseline of `boiler eval` leaves it as it is too.
 */
export function standardiseVector(vector: Float32Array, statistics: EmbeddingStatistics): Float32Array {
  const { mean, std } = statistics;
  return vector.map((x, d) => (std[d] > CONSTANT ? (x - mean[d]) / std[d] : 0));
}

/** The files in a seeded random order: the statistics come from the first STATISTICS_SAMPLE of them that embed. */
export function statisticsSampleOrder(files: readonly string[]): string[] {
  const random = seededRandom(files.length);
  const order = [...files];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The statistics a model directory's manifest committed; throws DamagedFile (naming the command
 * that repairs it) where they are missing, damaged or not of the directory's dimension.
 */
export function readStatistics(dir: string, manifest: Manifest): EmbeddingStatistics {
  const parsed = parseStatistics(readCommitted(dir, 'statistics', manifest).toString('utf8'), manifest.dimension);
  if (!parsed) throw new DamagedFile('statistics', `${modelFile(dir, 'statistics')} does not hold ${manifest.dimension} means and spreads: ${repairAdvice(manifest)}`);
  return parsed;
}

function parseStatistics(text: string, dimension: number): EmbeddingStatistics | undefined {
  try {
    const parsed = JSON.parse(text) as EmbeddingStatistics;
    const ok = (list: unknown) => Array.isArray(list) && list.length === dimension && list.every((x) => typeof x === 'number' && Number.isFinite(x));
    return ok(parsed.mean) && ok(parsed.std) && Number.isInteger(parsed.clips) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
