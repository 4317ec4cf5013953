/**
 * Search and serving, as issue 7 asks:
 * - recall@10 (tie-aware: a result counts when it is as close as the true 10th neighbour) and
 *   query latency of exact brute force and of the HNSW graph for several M/ef, on random unit
 *   vectors (10k and 100k × 64), and boiler's calibrated default (calibrate.ts) on each;
 * - BagTop-like bag-of-codes vectors full of exact duplicates: plain hnswlib with the duplicates
 *   in its graph against boiler's index, which stores each distinct vector once;
 * - `boiler serve` throughput (req/s, p50, p99) on POST /nearest with 10k clips, under a loopback
 *   load generator (raw keep-alive sockets) in this process, against the issue's target.
 * The measuring code (exact truth, tie-aware recall and latency, the load generator, starting the
 * server) is src/bench/, which `boiler bench index` and `boiler bench serve` run too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import { postRequest, runLoad } from '../src/bench/load.js';
import { kthDistances, measureSearch } from '../src/bench/search-index-bench.js';
import { spawnServeProcess, workerCounts } from '../src/bench/serve-bench.js';
import { calibrateSearch } from '../src/search/calibrate.js';
import { ModelDirWriter } from '../src/search/model-dir-writer.js';
import { VectorIndex, type GraphParameters } from '../src/search/vector-index.js';
import { bagOfCodesVectors, randomUnitVectors } from '../test/helpers/random-vectors.js';

const K = 10;
const DIMENSION = 64;
const DEFAULT_GRAPH: GraphParameters = { m: 16, efConstruction: 200 };

const row = (label: string, r: { recall: number; usPerQuery: number }) =>
  console.log(`  ${label.padEnd(52)} recall@10 ${r.recall.toFixed(4)}  ${r.usPerQuery.toFixed(1).padStart(7)} µs/query`);

function timed<T>(make: () => T): { value: T; seconds: number } {
  const started = performance.now();
  const value = make();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function boilerIndex(data: Float32Array[], parameters: GraphParameters): VectorIndex {
  const index = VectorIndex.create(DIMENSION, parameters, data.length);
  for (const v of data) index.add(v);
  return index;
}

/** boiler's index with its calibrated plan, as `boiler index` leaves it; prints the plan and its row. */
function calibratedRow(index: VectorIndex, queries: Float32Array[], tenth: number[]): void {
  const { value: plan, seconds } = timed(() => calibrateSearch(index));
  index.plan = plan;
  const label = `boiler default: calibrated → ${plan.method === 'exact' ? 'exact' : `graph ef${plan.ef}`}`;
  row(label, measureSearch((q) => index.search(q, K).map((h) => h.distance), queries, tenth));
  console.log(
    `    (calibration in ${seconds.toFixed(1)} s: graph reaches recall ${plan.recall.toFixed(3)} at ef${plan.ef}, ` +
      `${plan.graphMicros.toFixed(1)} µs vs exact ${plan.exactMicros.toFixed(1)} µs)`,
  );
}

function randomSuite(count: number, queryCount: number, grid: { m: number; efs: number[] }[]): Float32Array[] {
  const data = randomUnitVectors(count, DIMENSION, count);
  const queries = randomUnitVectors(queryCount, DIMENSION, count + 1);
  const tenth = kthDistances(data, queries, K);
  console.log(`\n${count} random unit vectors × ${DIMENSION}, ${queryCount} queries`);
  let defaultIndex: VectorIndex | undefined;
  for (const { m, efs } of grid) {
    const { value: index, seconds } = timed(() => boilerIndex(data, { m, efConstruction: 200 }));
    if (m === DEFAULT_GRAPH.m) defaultIndex = index;
    if (m === grid[0].m) row('exact (hnswlib brute force)', measureSearch((q) => index.search(q, K, { method: 'exact' }).map((h) => h.distance), queries, tenth));
    for (const ef of efs) row(`graph M${m} efC200 ef${ef} (built in ${seconds.toFixed(1)} s)`, measureSearch((q) => index.search(q, K, { ef }).map((h) => h.distance), queries, tenth));
  }
  calibratedRow(defaultIndex!, queries, tenth);
  return data;
}

function duplicatesSuite(): void {
  const count = 10_000;
  const data = bagOfCodesVectors(count, DIMENSION, 23, 11);
  const queries = bagOfCodesVectors(500, DIMENSION, 23, 12);
  const tenth = kthDistances(data, queries, K);
  const plain = new hnswlib.HierarchicalNSW('cosine', DIMENSION);
  plain.initIndex(count, DEFAULT_GRAPH.m, DEFAULT_GRAPH.efConstruction, 100);
  data.forEach((v, i) => plain.addPoint(Array.from(v), i));
  const index = boilerIndex(data, DEFAULT_GRAPH);
  console.log(`\n${count} BagTop-like vectors (23 codes of 64): ${index.distinct} distinct, ${queries.length} queries`);
  for (const ef of [100, 200]) {
    plain.setEf(ef);
    row(`plain hnswlib M16 efC200 ef${ef}, duplicates in graph`, measureSearch((q) => plain.searchKnn(Array.from(q), K).distances, queries, tenth));
  }
  row('exact (hnswlib brute force over distinct vectors)', measureSearch((q) => index.search(q, K, { method: 'exact' }).map((h) => h.distance), queries, tenth));
  for (const ef of [16, 100]) row(`boiler, distinct vectors only, graph ef${ef}`, measureSearch((q) => index.search(q, K, { ef }).map((h) => h.distance), queries, tenth));
  calibratedRow(index, queries, tenth);
}

/** `boiler serve` over `data` (as clips), queried with `queries`. */
async function serveSuite(kind: string, data: Float32Array[], queries: Float32Array[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-serve-'));
  try {
    const writer = ModelDirWriter.open(dir, {
      encoder: 'BagTopVQVAE',
      dimension: DIMENSION,
      checkpoint: { path: kind, sha256: '0'.repeat(64) },
      parameters: { space: 'cosine', ...DEFAULT_GRAPH, batchSize: 32 },
    });
    data.forEach((v, i) => writer.add(`clip-${i}.wav`, { coubId: `c${i}`, label: `https://coub.com/view/c${i}` }, v));
    const { method, ef } = writer.commit({ calibrate: true }).search;
    const plan = method === 'exact' ? 'exact search' : `graph ef${ef}`;
    console.log(`\nboiler serve, POST /nearest?k=12 with ${data.length} ${kind} clips, ${plan} (target: ≥ 5,000 req/s at p99 < 10 ms)`);
    for (const workers of workerCounts()) {
      const server = await spawnServeProcess(dir, workers);
      try {
        const requests = queries.map((q) => postRequest(new URL('/nearest?k=12', server.url), JSON.stringify({ embedding: Array.from(q) })));
        await runLoad(server.url, requests, 8, 1); // warm-up: JIT, caches
        for (const connections of [8, 32]) {
          const results = [];
          for (let run = 0; run < 3; run++) results.push(await runLoad(server.url, requests, connections, 3));
          const median = results.sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[1];
          const verdict = median.requestsPerSecond >= 5000 && median.p99Ms < 10 ? 'OK' : 'BELOW TARGET';
          console.log(
            `  --workers ${workers}, ${String(connections).padStart(2)} connections: ${median.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
              `p50 ${median.p50Ms.toFixed(2)} ms  p99 ${median.p99Ms.toFixed(2)} ms  (median of 3 × 3 s; errors ${median.errors})  ${verdict}`,
          );
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = performance.now();
const tenThousand = randomSuite(10_000, 1000, [
  { m: 16, efs: [50, 100, 200, 400] },
  { m: 32, efs: [100, 200] },
]);
duplicatesSuite();
randomSuite(100_000, 200, [{ m: 16, efs: [100, 200, 400, 800] }]);
await serveSuite('random', tenThousand, randomUnitVectors(200, DIMENSION, 99));
await serveSuite('BagTop-like', bagOfCodesVectors(10_000, DIMENSION, 23, 11), bagOfCodesVectors(200, DIMENSION, 23, 12));
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
