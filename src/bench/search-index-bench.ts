/**
 * Index quality and speed: recall@10 and query latency of boiler's index (hnswlib under
 * VectorIndex, as `boiler query` and `serve` search) by HNSW `M` and search breadth `ef`, against
 * exact search: the original's grid over Annoy's n_trees and search_k. On random unit vectors,
 * and on a model directory's own embeddings when one is given.
 */
import hnswlib from 'hnswlib-node';
import { ModelIndex } from '../search/model-index.js';
import { VectorIndex } from '../search/vector-index.js';
import { randomUnitVectors, seededRandom } from '../util/random.js';
import { machineNote, median } from './measure.js';
import type { BenchResult, Cell } from './result.js';
import type { Series } from './chart.js';

const K = 10;
export const INDEX_GRID = { m: [8, 16, 32], ef: [10, 20, 40, 80, 160, 320], efConstruction: 200 };
export const RANDOM_SET = { count: 10_000, dimension: 64, queries: 500 };
/** Passes over the queries per latency figure (the median is kept). */
const PASSES = 3;

export interface Dataset {
  name: string;
  vectors: Float32Array[];
  queries: Float32Array[];
}

export interface SearchMeasurement {
  dataset: string;
  /** HNSW M, or 'exact' for brute force. */
  m: number | 'exact';
  ef: number | '';
  recall: number;
  usPerQuery: number;
  buildSeconds: number;
}

function norm(v: Float32Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

/** Each query's true k-th smallest cosine distance among `vectors` (brute force, float64). */
export function kthDistances(vectors: readonly Float32Array[], queries: readonly Float32Array[], k: number): number[] {
  const norms = vectors.map(norm);
  return queries.map((query) => {
    const queryNorm = norm(query);
    const best = new Float64Array(k).fill(Infinity);
    vectors.forEach((vector, i) => {
      let dot = 0;
      for (let d = 0; d < query.length; d++) dot += vector[d] * query[d];
      const distance = 1 - dot / (norms[i] * queryNorm || 1);
      if (distance >= best[k - 1]) return;
      let p = k - 1;
      while (p > 0 && best[p - 1] > distance) best[p] = best[--p];
      best[p] = distance;
    });
    return best[Math.min(k, vectors.length) - 1];
  });
}

/**
 * Recall@k, tie-aware: a result counts when it is as close as the true k-th neighbour (duplicate
 * embeddings make "the" k nearest ambiguous), and the median over passes of µs per query.
 */
export function measureSearch(search: (query: Float32Array) => number[], queries: readonly Float32Array[], kth: readonly number[]): { recall: number; usPerQuery: number } {
  let hits = 0;
  queries.forEach((query, i) => {
    hits += search(query).filter((distance) => distance <= kth[i] + 1e-5).length;
  });
  const passes = Array.from({ length: PASSES }, () => {
    const started = performance.now();
    for (const query of queries) search(query);
    return ((performance.now() - started) * 1000) / queries.length;
  });
  return { recall: hits / (K * queries.length), usPerQuery: median(passes) };
}

/** boiler's index with graph search only (exactBelow 0), as it searches a large model directory. */
function buildGraph(vectors: readonly Float32Array[], m: number): { index: VectorIndex; seconds: number } {
  const started = performance.now();
  const parameters = { m, efConstruction: INDEX_GRID.efConstruction, ef: INDEX_GRID.ef[0], exactBelow: 0 };
  const index = VectorIndex.create(vectors[0].length, parameters, vectors.length);
  for (const vector of vectors) index.add(vector);
  return { index, seconds: (performance.now() - started) / 1000 };
}

/** hnswlib's brute force: what boiler's index runs below `exactBelow` distinct vectors. */
function buildExact(vectors: readonly Float32Array[]): { search: (query: Float32Array) => number[]; seconds: number } {
  const started = performance.now();
  const exact = new hnswlib.BruteforceSearch('cosine', vectors[0].length);
  exact.initIndex(vectors.length);
  vectors.forEach((vector, i) => exact.addPoint(Array.from(vector), i));
  return { search: (query) => exact.searchKnn(Array.from(query), K).distances, seconds: (performance.now() - started) / 1000 };
}

/** Exact search, then every M × ef of the grid, on one dataset. */
export function measureDataset(dataset: Dataset, log: (line: string) => void = () => {}): SearchMeasurement[] {
  const kth = kthDistances(dataset.vectors, dataset.queries, K);
  const exact = buildExact(dataset.vectors);
  const results: SearchMeasurement[] = [{ dataset: dataset.name, m: 'exact', ef: '', ...measureSearch(exact.search, dataset.queries, kth), buildSeconds: exact.seconds }];
  for (const m of INDEX_GRID.m) {
    const graph = buildGraph(dataset.vectors, m);
    log(`index: ${dataset.name}, M ${m} built in ${graph.seconds.toFixed(1)} s`);
    for (const ef of INDEX_GRID.ef) {
      const search = (query: Float32Array) => graph.index.search(query, K, { ef }).map((n) => n.distance);
      results.push({ dataset: dataset.name, m, ef, ...measureSearch(search, dataset.queries, kth), buildSeconds: graph.seconds });
    }
  }
  return results;
}

export function randomDataset(): Dataset {
  const { count, dimension, queries } = RANDOM_SET;
  return {
    name: `random ${count / 1000}k×${dimension}`,
    vectors: randomUnitVectors(count, dimension, 1),
    queries: randomUnitVectors(queries, dimension, 2),
  };
}

/**
 * A model directory's embeddings; the queries are some of its own clips (seeded), so each finds
 * itself among its neighbours as it would in the index. Fewer queries for big, wide indexes keep
 * the brute-force truth affordable.
 */
export function modelDirDataset(modelDir: string): Dataset {
  const index = ModelIndex.open(modelDir);
  const vectors = index.clips.map((_, clip) => index.vectors.vectorOf(clip));
  const wanted = Math.min(vectors.length, 500, Math.max(50, Math.floor(2e9 / (vectors.length * index.manifest.dimension))));
  const random = seededRandom(3);
  const queries = Array.from({ length: wanted }, () => vectors[Math.floor(random() * vectors.length)]);
  return { name: `${index.manifest.encoder} ${vectors.length} clips`, vectors, queries };
}

export interface IndexBenchOptions {
  modelDir?: string;
  log?: (line: string) => void;
}

export async function benchIndex(options: IndexBenchOptions = {}): Promise<BenchResult> {
  const datasets = [randomDataset(), ...(options.modelDir ? [modelDirDataset(options.modelDir)] : [])];
  const results = datasets.flatMap((dataset) => measureDataset(dataset, options.log));
  const series = (value: (r: SearchMeasurement) => number): Series[] =>
    datasets.flatMap(({ name }) => {
      const own = results.filter((r) => r.dataset === name);
      const exact = own.find((r) => r.m === 'exact')!;
      const prefix = datasets.length > 1 ? `${name.split(' ')[0]} ` : '';
      return [
        ...INDEX_GRID.m.map((m) => ({ name: `${prefix}M${m}`, points: own.filter((r) => r.m === m).map((r) => ({ x: r.ef as number, y: value(r) })) })),
        { name: `${prefix}exact`, points: INDEX_GRID.ef.map((ef) => ({ x: ef, y: value(exact) })) },
      ];
    });
  const rows: Cell[][] = results.map((r) => [r.dataset, r.m, r.ef, r.recall, r.usPerQuery, r.buildSeconds]);
  return {
    name: 'index',
    columns: ['dataset', 'm', 'ef', 'recall_at_10', 'us_per_query', 'build_s'],
    rows,
    chart: {
      title: `index: recall@10 and latency by M and ef (efConstruction ${INDEX_GRID.efConstruction})`,
      note: `${datasets.map((d) => `${d.name}, ${d.queries.length} queries`).join('; ')}. ${machineNote()}`,
      panels: [
        { title: 'recall@10', xLabel: 'ef', yLabel: 'recall@10', logX: true, series: series((r) => r.recall) },
        { title: 'query latency', xLabel: 'ef', yLabel: 'µs/query (median)', logX: true, logY: true, series: series((r) => r.usPerQuery) },
      ],
    },
    summary: datasets.flatMap(({ name, queries }) => [
      `${name} (${queries.length} queries):`,
      ...results
        .filter((r) => r.dataset === name)
        .map((r) => `  ${r.m === 'exact' ? 'exact'.padEnd(14) : `M${r.m} ef${r.ef}`.padEnd(14)} recall@10 ${r.recall.toFixed(4)}  ${r.usPerQuery.toFixed(1).padStart(7)} µs/query`),
    ]),
  };
}
