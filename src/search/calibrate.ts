import { seededRandom } from '../util/random.js';
import type { SearchPlan, VectorIndex } from './vector-index.js';

/** What the search plan was chosen from, kept in the manifest. */
export interface Calibration extends SearchPlan {
  /** Tie-aware recall@10 of the graph at `ef` on the calibration queries (1 for exact). */
  recall: number;
  exactMicros: number;
  graphMicros: number;
  queries: number;
}

export const TARGET_RECALL = 0.99;
const K = 10;
/** Breadths tried, smallest first; the first that reaches the target is the graph's. */
const EF_LADDER = [16, 32, 64, 100, 150, 200, 300, 400, 600, 800];
const QUERIES = 200;

/**
 * Picks how this index searches by default: the graph at the smallest ef whose recall@10 reaches
 * TARGET_RECALL, unless exact search is as fast (small indexes) or the graph cannot reach it
 * (hard, high-dimensional data) — recall comes first.
 *
 * Queries are new points where the data lies: each a sampled vector turned, in a random
 * direction, by the angle to its nearest neighbour, so as far from the data as the data's own
 * points are from each other (the indexed vectors themselves the graph would find too easily).
 * Recall is tie-aware: a result counts when it is as close as the true 10th neighbour.
 */
export function calibrateSearch(index: VectorIndex): Calibration {
  const queries = calibrationQueries(index);
  const k = Math.min(K, index.distinct);
  if (queries.length === 0) return { method: 'exact', ef: EF_LADDER[0], recall: 1, exactMicros: 0, graphMicros: 0, queries: 0 };
  const tenth = queries.map((q) => index.searchDistinct(q, k, { method: 'exact' }).distances[k - 1]);
  const recallAt = (ef: number) => {
    let hits = 0;
    queries.forEach((q, i) => {
      hits += index.searchDistinct(q, k, { ef }).distances.filter((d) => d <= tenth[i] + 1e-6).length;
    });
    return hits / (k * queries.length);
  };
  let ef = EF_LADDER[0];
  let recall = recallAt(ef);
  for (const next of EF_LADDER.slice(1)) {
    if (recall >= TARGET_RECALL) break;
    ef = next;
    recall = recallAt(ef);
  }
  const exactMicros = microsPerQuery(queries, (q) => index.searchDistinct(q, k, { method: 'exact' }));
  const graphMicros = microsPerQuery(queries, (q) => index.searchDistinct(q, k, { ef }));
  const method = recall < TARGET_RECALL || exactMicros <= graphMicros ? 'exact' : 'graph';
  return { method, ef, recall, exactMicros, graphMicros, queries: queries.length };
}

function calibrationQueries(index: VectorIndex): number[][] {
  if (index.distinct < 2) return [];
  const count = Math.min(QUERIES, index.distinct);
  const random = seededRandom(count);
  const queries: number[][] = [];
  for (let i = 0; i < count; i++) {
    const label = Math.floor((i * index.distinct) / count);
    const vector = unit(Array.from(index.distinctVector(label)));
    const { neighbors, distances } = index.searchDistinct(vector, 2, { method: 'exact' });
    const nearest = neighbors[0] === label ? distances[1] : distances[0];
    // A direction at right angles to the vector, at the angle of its nearest neighbour.
    const gaussian = unit(vector.map(() => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
    const along = gaussian.reduce((sum, g, j) => sum + g * vector[j], 0);
    const across = unit(gaussian.map((g, j) => g - along * vector[j]));
    const angle = Math.acos(Math.min(1, Math.max(-1, 1 - nearest)));
    queries.push(vector.map((v, j) => Math.cos(angle) * v + Math.sin(angle) * across[j]));
  }
  return queries;
}

function unit(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** The median over three passes of the mean time per query, in µs. */
function microsPerQuery(queries: number[][], search: (q: number[]) => unknown): number {
  const passes = [0, 1, 2].map(() => {
    const started = performance.now();
    for (const q of queries) search(q);
    return ((performance.now() - started) * 1000) / queries.length;
  });
  return passes.sort((x, y) => x - y)[1];
}
