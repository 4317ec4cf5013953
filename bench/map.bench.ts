/**
 * The web page's map (`GET /map`): how long projectToPlane (src/search/map-projection.ts) takes
 * to lay out 1,000, 10,000 and 100,000 clips of 512-d clustered embeddings, with the PCA
 * pre-reduction to 50 dimensions and, at 10,000, without it; and the longest the event loop
 * waited meanwhile (umap-js builds its neighbour graph in one synchronous call). 100,000 runs
 * until a 3-minute budget is spent; past it, the total is extrapolated from the progress made.
 */
import { projectToPlane, type ProjectionOptions } from '../src/search/map-projection.js';
import { randomUnitVectors } from '../test/helpers/random-vectors.js';

const DIMENSION = 512;
const CLUSTERS = 20;
const BUDGET_MS = 180_000;

/** `count` vectors around CLUSTERS random directions (noise of norm 0.7), as embeddings of clips of a few kinds. */
function clusteredVectors(count: number): Float32Array[] {
  const centres = randomUnitVectors(CLUSTERS, DIMENSION, 1);
  return randomUnitVectors(count, DIMENSION, count).map((noise, i) => centres[i % CLUSTERS].map((c, j) => c + 0.7 * noise[j]));
}

/** One projection: its seconds and the longest the event loop waited (ms), watched by a chain of setImmediate turns. */
async function timedProjection(vectors: Float32Array[], options: ProjectionOptions): Promise<{ seconds: number; longestWaitMs: number }> {
  let longestWaitMs = 0;
  let last = performance.now();
  let watching = true;
  const watch = () => {
    const now = performance.now();
    longestWaitMs = Math.max(longestWaitMs, now - last);
    last = now;
    if (watching) setImmediate(watch);
  };
  setImmediate(watch);
  const started = performance.now();
  try {
    await projectToPlane(vectors, options);
  } finally {
    watching = false;
  }
  return { seconds: (performance.now() - started) / 1000, longestWaitMs };
}

async function medianRow(count: number, runs: number, pcaDimensions: number): Promise<number> {
  const vectors = clusteredVectors(count);
  const results = [];
  for (let run = 0; run < runs; run++) results.push(await timedProjection(vectors, { seed: run + 1, pcaDimensions }));
  results.sort((a, b) => a.seconds - b.seconds);
  const median = results[Math.floor(runs / 2)];
  const label = `${count} clips, ${pcaDimensions ? `PCA to ${pcaDimensions} first` : 'no PCA (UMAP on 512-d)'}`;
  console.log(
    `  ${label.padEnd(40)} ${median.seconds.toFixed(1).padStart(6)} s  (median of ${runs}; event loop waited at most ${(median.longestWaitMs / 1000).toFixed(1)} s)`,
  );
  return median.seconds;
}

/** Steps of a projection before its layout epochs: the PCA's five passes and the neighbour graph (see ProjectionOptions.onProgress). */
const STEPS_BEFORE_LAYOUT = 6;

/** `count` clips within BUDGET_MS, else how far it got, and the total extrapolated from the layout's rate so far. */
async function budgetedRow(count: number): Promise<void> {
  const vectors = clusteredVectors(count);
  const started = performance.now();
  let reached = { done: 0, total: 0, ms: 0 };
  let layoutStartMs = 0;
  class OverBudget extends Error {}
  try {
    const { seconds, longestWaitMs } = await timedProjection(vectors, {
      onProgress: (done, total) => {
        reached = { done, total, ms: performance.now() - started };
        if (done === STEPS_BEFORE_LAYOUT) layoutStartMs = reached.ms;
        if (reached.ms > BUDGET_MS) throw new OverBudget();
      },
    });
    console.log(`  ${`${count} clips, PCA to 50 first`.padEnd(40)} ${seconds.toFixed(1).padStart(6)} s  (1 run; event loop waited at most ${(longestWaitMs / 1000).toFixed(1)} s)`);
  } catch (error) {
    if (!(error instanceof OverBudget)) throw error;
    const { done, total, ms } = reached;
    const epochs = total - STEPS_BEFORE_LAYOUT;
    const epochsDone = done - STEPS_BEFORE_LAYOUT;
    console.log(
      `  ${count} clips, PCA to 50 first: stopped at ${(ms / 1000).toFixed(0)} s; PCA and neighbour graph took ` +
        `${(layoutStartMs / 1000).toFixed(0)} s (event loop blocked throughout the graph), then ${epochsDone} of ${epochs} layout epochs`,
    );
    if (epochsDone > 0) {
      const total = layoutStartMs + ((ms - layoutStartMs) / epochsDone) * epochs;
      console.log(`    EXTRAPOLATED, not measured: about ${(total / 1000).toFixed(0)} s in all, at the layout's rate so far`);
    } else {
      console.log(`    no layout epoch ran within the budget: more than ${(ms / 1000).toFixed(0)} s in all`);
    }
  }
}

const started = performance.now();
console.log(`\nprojectToPlane: ${DIMENSION}-d vectors in ${CLUSTERS} clusters`);
await medianRow(1_000, 3, 50);
await medianRow(10_000, 3, 50);
await medianRow(10_000, 1, 0);
await budgetedRow(100_000);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
