import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../model/safetensors.js';
import { targetNorm, type CodeUsage } from '../model/quantize.js';
import type { CodebookLevel, VQVAE2 } from '../model/vqvae.js';
import type { Adam } from './adam.js';
import { seededRandom } from '../util/random.js';

/**
 * Keeping both codebooks in use. The original design's top codebook collapses (with the tiny
 * sizes already at initialisation: every clip takes one top code, so the top level tells clips
 * nothing). `healthy` sets each codebook from the first batch's encoder outputs (k-means) and
 * every RESTART_EVERY steps moves the codes unused since the last check onto random encoder
 * outputs of the batch, forgetting their Adam moments. Measured on spoken digits (tiny preset,
 * 4 minutes): restarts kept 50 of 64 top codes in use, k-means alone 7, the original 1.
 * `original` is the original's behaviour, unchanged.
 */
export type CodebookMode = 'original' | 'healthy';
export const CODEBOOK_MODES: readonly CodebookMode[] = ['original', 'healthy'];

export const LEVELS: readonly CodebookLevel[] = ['top', 'bottom'];
export const RESTART_EVERY = 10;
/** Norm of the noise added to a restarted code, relative to the code's norm, so that codes restarted onto close outputs part. */
const RESTART_NOISE = 0.01;
/** At most this many encoder outputs feed k-means: the paper preset's first batch has 153,000 bottom ones. */
const KMEANS_SAMPLE = 8192;
const KMEANS_ITERATIONS = 4;

/** The project's seeded generator keyed by several numbers, so that a resumed run restarts the same codes with the same values. */
function keyedRandom(...keys: number[]): () => number {
  return seededRandom(keys.reduce((h, k) => Math.imul(h ^ (k >>> 0), 2654435761) >>> 0, 0x9e3779b9));
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Distinct random row indices (with repeats only when `count` exceeds `rows`). */
function sampleRows(rows: number, count: number, random: () => number): number[] {
  const order = Array.from({ length: rows }, (_, i) => i);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Array.from({ length: count }, (_, i) => order[i % rows]);
}

function squaredDistance(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let sum = 0;
  for (let c = 0; c < dim; c++) sum += (a[i * dim + c] - b[j * dim + c]) ** 2;
  return sum;
}

/**
 * `k` codes for the rows of `points` [P, dim] (already at the quantiser's norm): k-means++ seeding,
 * then a few Lloyd iterations whose centres go back to the norm (spherical k-means: the quantiser's
 * nearest code by L2 at a fixed norm is the nearest by angle). A centre left without points keeps
 * its seed. Returns [k, dim].
 */
export function kMeansCodes(points: tf.Tensor2D, k: number, random: () => number): tf.Tensor2D {
  const [rows, dim] = points.shape;
  const sample = tf.tidy(() => (rows <= KMEANS_SAMPLE ? points.clone() : tf.gather(points, sampleRows(rows, KMEANS_SAMPLE, random))));
  const data = sample.dataSync() as Float32Array;
  const n = sample.shape[0];
  const centres = new Float32Array(k * dim);
  const nearest = new Float64Array(n).fill(Infinity);
  let chosen = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centres.set(data.subarray(chosen * dim, (chosen + 1) * dim), c * dim);
    let total = 0;
    for (let p = 0; p < n; p++) {
      nearest[p] = Math.min(nearest[p], squaredDistance(data, p, centres, c, dim));
      total += nearest[p];
    }
    // D² sampling; when every point already sits on a centre (fewer distinct points than codes), any point.
    let target = random() * total;
    chosen = Math.floor(random() * n);
    if (total > 0) for (chosen = 0; chosen < n - 1 && (target -= nearest[chosen]) > 0; chosen++);
  }
  let codes = tf.tensor2d(centres, [k, dim]);
  for (let iteration = 0; iteration < KMEANS_ITERATIONS; iteration++) {
    const next = tf.tidy(() => {
      const assigned = tf.argMax(tf.matMul(sample, codes, false, true), -1);
      const members = tf.oneHot(assigned, k).toFloat(); // [n, k]
      const sums = tf.matMul(members, sample, true); // [k, dim]
      const empty = tf.equal(tf.sum(members, 0), 0).expandDims(1);
      const scale = tf.div(targetNorm(dim), tf.sqrt(tf.maximum(tf.sum(tf.square(sums), -1, true), 1e-30)));
      return tf.where(empty, codes, tf.mul(sums, scale)) as tf.Tensor2D;
    });
    codes.dispose();
    codes = next;
  }
  sample.dispose();
  return codes;
}

/** The key under which a level's usage goes into the optimiser file of a checkpoint. */
function usageKey(level: CodebookLevel): string {
  return `codebook_last_used.${level}`;
}

/**
 * The `healthy` codebook remedies for one model and its optimiser: k-means initialisation and
 * dead-code restarts, with the step each code was last used, which checkpoints carry so that a
 * resumed run restarts the same codes as an uninterrupted one.
 */
export class CodebookHealth {
  private readonly lastUsed: Record<CodebookLevel, Float32Array>;

  constructor(
    private readonly model: VQVAE2,
    private readonly adam: Adam,
    private readonly seed: number,
  ) {
    this.lastUsed = { top: new Float32Array(model.config.nEmbedTop), bottom: new Float32Array(model.config.nEmbedBottom) };
  }

  /** Sets both codebooks from a batch's encoder outputs, top first (the bottom's inputs pass through the top's codes). */
  initialise(mel: tf.Tensor3D): void {
    for (const [index, level] of LEVELS.entries()) {
      const book = this.model.codebook(level);
      const inputs = this.model.quantizerInputs(mel, level);
      const codes = kMeansCodes(inputs, book.shape[0], keyedRandom(this.seed, 0, index));
      book.assign(codes);
      tf.dispose([inputs, codes]);
    }
  }

  /** Notes which codes a step used (ids as `encode` gives them). */
  observe(level: CodebookLevel, ids: ArrayLike<number>, step: number): void {
    const lastUsed = this.lastUsed[level];
    for (let i = 0; i < ids.length; i++) lastUsed[ids[i]] = step;
  }

  /**
   * Every RESTART_EVERY steps, moves the codes unused since the last check to random encoder
   * outputs of `mel` (plus a little noise), at the quantiser's norm, and forgets their Adam moments.
   * Returns how many codes of each level moved.
   */
  restartDeadCodes(mel: tf.Tensor3D, step: number): Record<CodebookLevel, number> {
    const moved = { top: 0, bottom: 0 };
    if (step % RESTART_EVERY !== 0) return moved;
    for (const [index, level] of LEVELS.entries()) {
      const dead = [...this.lastUsed[level].keys()].filter((code) => this.lastUsed[level][code] <= step - RESTART_EVERY);
      if (dead.length === 0) continue;
      const random = keyedRandom(this.seed, step, index);
      const book = this.model.codebook(level);
      const inputs = this.model.quantizerInputs(mel, level);
      const data = inputs.dataSync() as Float32Array;
      const dim = inputs.shape[1];
      const codes = book.dataSync().slice() as Float32Array;
      const noise = (RESTART_NOISE * targetNorm(dim)) / Math.sqrt(dim);
      const sources = sampleRows(inputs.shape[0], dead.length, random);
      dead.forEach((code, i) => {
        for (let c = 0; c < dim; c++) codes[code * dim + c] = data[sources[i] * dim + c] + noise * gaussian(random);
        this.lastUsed[level][code] = step;
      });
      tf.tidy(() => book.assign(tf.tensor2d(codes, book.shape as [number, number])));
      this.adam.resetRows(this.model.codebookName(level), dead);
      inputs.dispose();
      moved[level] = dead.length;
    }
    this.model.renormaliseCodebooks();
    return moved;
  }

  /** The usage to save beside the optimiser's moments. */
  state(): TensorMap {
    return new Map(LEVELS.map((level) => [usageKey(level), { dtype: 'F32', shape: [this.lastUsed[level].length], data: this.lastUsed[level] }]));
  }

  /** Restores the usage from a checkpoint's optimiser file; one without it (written by `original`) counts every code as used at `step`. */
  loadState(saved: Map<string, Float32Array>, step: number): void {
    for (const level of LEVELS) {
      const data = saved.get(usageKey(level));
      if (data && data.length === this.lastUsed[level].length) this.lastUsed[level].set(data);
      else this.lastUsed[level].fill(step);
    }
  }
}

/** A level counts as collapsed in a step that uses this many codes or fewer, or whose perplexity is below COLLAPSED_PERPLEXITY. */
const COLLAPSED_CODES = 2;
const COLLAPSED_PERPLEXITY = 2;
/** Steps in a row that make a collapse (or, after one, a recovery). */
export const COLLAPSE_STEPS = 5;

/** Says when a level's codebook has collapsed: once, and again only after it has recovered in between. */
export class CollapseWatch {
  private collapsedSteps = 0;
  private healthySteps = 0;
  private warned = false;

  constructor(
    private readonly level: CodebookLevel,
    private readonly nCodes: number,
    private readonly mode: CodebookMode,
  ) {}

  /** The warning line when `step` completes COLLAPSE_STEPS collapsed steps in a row and no warning stands; else undefined. */
  observe(step: number, usage: CodeUsage): string | undefined {
    if (usage.codes > COLLAPSED_CODES && usage.perplexity >= COLLAPSED_PERPLEXITY) {
      this.collapsedSteps = 0;
      if (++this.healthySteps >= COLLAPSE_STEPS) this.warned = false;
      return undefined;
    }
    this.healthySteps = 0;
    if (++this.collapsedSteps < COLLAPSE_STEPS || this.warned) return undefined;
    this.warned = true;
    const advice =
      this.mode === 'original'
        ? 'train with --codebook healthy (the default), which sets the codes from the data and restarts unused ones'
        : `unused codes are restarted every ${RESTART_EVERY} steps; if this lasts, try a lower --lr or more clips`;
    return `warning: the ${this.level} codebook has collapsed to ${usage.codes} of ${this.nCodes} codes (step ${step}): its codes no longer tell clips apart; ${advice}`;
  }
}
