import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { UMAP } from 'umap-js';
import { writeFileAtomic } from '../atomic-file.js';
import { seededRandom } from '../util/random.js';
import type { Manifest } from './types.js';

/** The 2-D map of a model directory's clips, cached beside its index (see mapFor). */
export const MAP_FILE = 'map.json';
export const MAP_FORMAT = 'boiler-map/1';

/** Dimensions PCA reduces longer vectors to before UMAP: neighbours are found in far less time, and barely differ. */
export const DEFAULT_PCA_DIMENSIONS = 50;
/** UMAP's usual neighbourhood. */
const NEIGHBOURS = 15;

/**
 * The neighbourhood UMAP keeps for `points` points: its usual 15 from 225 points on, about √points
 * below, so that a small index's groups (the demo's 12 clips in four groups of three) stay apart
 * instead of every point being every other's neighbour; at least 2, as UMAP needs.
 */
export function neighboursFor(points: number): number {
  return Math.max(2, Math.min(NEIGHBOURS, Math.round(Math.sqrt(points)), points - 1));
}
/** Subspace iterations of the PCA: each sharpens the leading components; two are plenty for a map. */
const PCA_ITERATIONS = 2;
/** Passes over the vectors that a PCA makes: two per iteration, and the final projection. */
const PCA_PASSES = 2 * PCA_ITERATIONS + 1;
/** The longest the projection computes before it lets the event loop run (a server answers meanwhile). */
const SLICE_MS = 30;

export interface ProjectionOptions {
  /** Seeds every random choice (PCA start, UMAP's trees, sampling and layout): the same seed gives the same map. */
  seed?: number;
  /** Called as work completes, in steps: each PCA pass over the vectors, the neighbour graph, each layout epoch. */
  onProgress?: (done: number, total: number) => void;
  /** Vectors longer than this are reduced to it by PCA first; 0 reduces none. Default 50. */
  pcaDimensions?: number;
}

export interface PlanePoints {
  x: Float32Array;
  y: Float32Array;
}

/** Points as map.json stores them (5 decimals). */
export interface MapPoints {
  x: number[];
  y: number[];
}

/**
 * Projects embeddings to the plane for a map of the clips: UMAP over the unit-length vectors
 * (euclidean there orders neighbours as cosine distance does), x and y scaled together into
 * [0, 1]. Identical vectors are laid out once and share a point; three or fewer distinct ones, or
 * a UMAP that fails, are placed by PCA instead. The event loop runs between slices of the work.
 */
export async function projectToPlane(vectors: Float32Array[], options: ProjectionOptions = {}): Promise<PlanePoints> {
  const { distinct, pointOf } = distinctVectors(vectors.map(unitLength));
  const random = seededRandom(options.seed ?? 1);
  const progress = new Progress(options.onProgress);
  let plane: number[][] | undefined;
  if (distinct.length > 3) {
    const wanted = options.pcaDimensions ?? DEFAULT_PCA_DIMENSIONS;
    const reduce = wanted > 0 && distinct[0].length > wanted;
    progress.plan((reduce ? PCA_PASSES : 0) + 1 + layoutEpochs(distinct.length));
    plane = await umapLayout(reduce ? await principalComponents(distinct, wanted, random, progress) : distinct, random, progress);
  }
  if (!plane) {
    progress.plan(PCA_PASSES);
    plane = await principalComponents(distinct, 2, random, progress);
  }
  const { x, y } = scaleToUnitSquare(plane);
  return { x: Float32Array.from(pointOf, (i) => x[i]), y: Float32Array.from(pointOf, (i) => y[i]) };
}

/**
 * The map of a model directory's clips, from `map.json` when that was computed for the same
 * tensors (the manifest's tensors.tsv hash, or its updatedAt where it records none), else
 * computed and stored there. A directory that cannot be written still gets its map, uncached.
 */
export async function mapFor(dir: string, manifest: Manifest, vectors: Float32Array[], options: ProjectionOptions = {}): Promise<MapPoints> {
  const path = join(dir, MAP_FILE);
  const tensors = manifest.files?.tensors?.sha256 ?? manifest.updatedAt;
  const cached = readMap(path, tensors, vectors.length);
  if (cached) return cached;
  const plane = await projectToPlane(vectors, options);
  const points = { x: Array.from(plane.x, round5), y: Array.from(plane.y, round5) };
  try {
    writeFileAtomic(path, JSON.stringify({ format: MAP_FORMAT, tensors, count: vectors.length, ...points }) + '\n');
  } catch (error) {
    if (!['EACCES', 'EPERM', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  return points;
}

/** The points of map.json if it was made for these tensors and count; undefined when missing, stale or damaged (recomputed). */
function readMap(path: string, tensors: string, count: number): MapPoints | undefined {
  let stored: { format?: unknown; tensors?: unknown; count?: unknown; x?: unknown; y?: unknown };
  try {
    stored = JSON.parse(readFileSync(path, 'utf8')) as typeof stored;
  } catch {
    return undefined;
  }
  const { x, y } = stored;
  const fits = (axis: unknown): axis is number[] => Array.isArray(axis) && axis.length === count && axis.every((v) => typeof v === 'number');
  if (stored.format !== MAP_FORMAT || stored.tensors !== tensors || stored.count !== count || !fits(x) || !fits(y)) return undefined;
  return { x, y };
}

const round5 = (value: number) => Math.round(value * 1e5) / 1e5;

/** Counts steps for onProgress and yields to the event loop once a slice of work has run long enough. */
class Progress {
  done = 0;
  total = 0;
  private sliceStart = performance.now();

  constructor(private readonly report?: (done: number, total: number) => void) {}

  plan(steps: number): void {
    this.total += steps;
  }

  step(): void {
    this.done++;
    this.report?.(this.done, this.total);
  }

  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await nextTurn();
    this.sliceStart = performance.now();
  }
}

function unitLength(vector: Float32Array): Float32Array {
  let squares = 0;
  for (const v of vector) squares += v * v;
  // A zero vector has no direction: it stays at the origin rather than becoming NaN.
  return squares > 0 ? vector.map((v) => v / Math.sqrt(squares)) : Float32Array.from(vector);
}

/** The distinct vectors, and for each input the index of its distinct vector (by a hash of its bytes). */
function distinctVectors(vectors: Float32Array[]): { distinct: Float32Array[]; pointOf: Uint32Array } {
  const indexOf = new Map<string, number>();
  const distinct: Float32Array[] = [];
  const pointOf = new Uint32Array(vectors.length);
  vectors.forEach((vector, i) => {
    const key = createHash('sha1').update(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)).digest('base64');
    let point = indexOf.get(key);
    if (point === undefined) {
      point = distinct.length;
      indexOf.set(key, point);
      distinct.push(vector);
    }
    pointOf[i] = point;
  });
  return { distinct, pointOf };
}

/**
 * The rows' coordinates on their `dimensions` leading principal components, by subspace
 * iteration from a random start (no d × d covariance: each pass is two n × d × k products).
 * Components beyond the rows' rank come out as zero coordinates.
 */
async function principalComponents(rows: Float32Array[], dimensions: number, random: () => number, progress: Progress): Promise<number[][]> {
  const d = rows[0]?.length ?? 0;
  const k = Math.min(dimensions, d);
  const mean = new Float64Array(d);
  for (const row of rows) for (let j = 0; j < d; j++) mean[j] += row[j] / rows.length;
  // basis: d × k, row-major; its columns are the components.
  let basis = orthonormalColumns(Float64Array.from({ length: d * k }, () => random() - 0.5), d, k);
  for (let iteration = 0; iteration < PCA_ITERATIONS; iteration++) {
    const projected = await project(rows, mean, basis, k, progress);
    // Xᵀ P equals (X − mean)ᵀ P because P's columns, projections of centred rows, sum to zero.
    const next = new Float64Array(d * k);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const p = projected[i];
      for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) next[j * k + c] += row[j] * p[c];
      if (i % 256 === 0) await progress.pause();
    }
    progress.step();
    basis = orthonormalColumns(next, d, k);
  }
  return project(rows, mean, basis, k, progress);
}

/** (rows − mean) × basis, one pass over the rows. */
async function project(rows: Float32Array[], mean: Float64Array, basis: Float64Array, k: number, progress: Progress): Promise<number[][]> {
  const d = mean.length;
  const offset = new Float64Array(k);
  for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) offset[c] += mean[j] * basis[j * k + c];
  const projected: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const p = Array.from(offset, (o) => -o);
    for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) p[c] += row[j] * basis[j * k + c];
    projected.push(p);
    if (i % 256 === 0) await progress.pause();
  }
  progress.step();
  return projected;
}

/** Gram–Schmidt (twice, for accuracy) on the columns of a d × k row-major matrix; a column lost to rounding becomes zero. */
function orthonormalColumns(matrix: Float64Array, d: number, k: number): Float64Array {
  for (let c = 0; c < k; c++) {
    let before = 0;
    for (let j = 0; j < d; j++) before += matrix[j * k + c] ** 2;
    for (let pass = 0; pass < 2; pass++) {
      for (let earlier = 0; earlier < c; earlier++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += matrix[j * k + c] * matrix[j * k + earlier];
        for (let j = 0; j < d; j++) matrix[j * k + c] -= dot * matrix[j * k + earlier];
      }
    }
    let after = 0;
    for (let j = 0; j < d; j++) after += matrix[j * k + c] ** 2;
    const scale = after > 1e-20 * before ? 1 / Math.sqrt(after) : 0;
    for (let j = 0; j < d; j++) matrix[j * k + c] *= scale;
  }
  return matrix;
}

/** UMAP's epochs: as umap-js's own default, but fixed beforehand so that progress knows its total. */
const layoutEpochs = (points: number) => (points <= 2500 ? 500 : 200);

/** UMAP's 2-D layout of more than three points, an epoch at a time; undefined when umap-js fails (the caller falls back to PCA). */
async function umapLayout(points: ArrayLike<number>[], random: () => number, progress: Progress): Promise<number[][] | undefined> {
  const epochs = layoutEpochs(points.length);
  const umap = new UMAP({ nComponents: 2, nNeighbors: neighboursFor(points.length), nEpochs: epochs, random });
  await progress.pause();
  try {
    // One synchronous call (neighbours, fuzzy graph): the event loop waits for it, seconds for 10,000 points.
    // umap-js reads the rows by index only; typed arrays serve as well as number[] and save a copy.
    umap.initializeFit(points as number[][]);
  } catch {
    return undefined;
  }
  progress.step();
  for (let epoch = 0; epoch < epochs; ) {
    epoch = umap.step();
    progress.step();
    await progress.pause();
  }
  const plane = umap.getEmbedding();
  return plane.every((point) => point.every(Number.isFinite)) ? plane : undefined;
}

/** Both axes scaled by one factor (the map keeps its shape) into [0, 1], the narrower one centred; a single point lands at 0.5. */
function scaleToUnitSquare(points: number[][]): { x: Float64Array; y: Float64Array } {
  const axis = (a: number) => Float64Array.from(points, (point) => point[a] ?? 0);
  const [x, y] = [axis(0), axis(1)];
  const bounds = (values: Float64Array) => values.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
  const [[xLo, xHi], [yLo, yHi]] = [bounds(x), bounds(y)];
  const span = Math.max(xHi - xLo, yHi - yLo);
  const place = (values: Float64Array, lo: number, hi: number) =>
    values.map((v) => (span > 0 ? (v - lo) / span + (1 - (hi - lo) / span) / 2 : 0.5));
  return { x: place(x, xLo, xHi), y: place(y, yLo, yHi) };
}
