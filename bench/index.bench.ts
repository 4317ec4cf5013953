/**
 * Search and serving, as issue 7 asks:
 * - recall@10 (tie-aware: a result counts when it is as close as the true 10th neighbour) and
 *   query latency of exact brute force and of the HNSW graph for several M/ef, on random unit
 *   vectors (10k and 100k × 64), and boiler's calibrated default (calibrate.ts) on each;
 * - BagTop-like bag-of-codes vectors full of exact duplicates: plain hnswlib with the duplicates
 *   in its graph against boiler's index, which stores each distinct vector once;
 * - `boiler serve` throughput (req/s, p50, p99) on POST /nearest with 10k clips, under a loopback
 *   load generator (raw keep-alive sockets) in this process, against the issue's target.
 */
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import { calibrateSearch } from '../src/search/calibrate.js';
import { ModelDirWriter } from '../src/search/model-dir-writer.js';
import { VectorIndex, type GraphParameters } from '../src/search/vector-index.js';
import { bagOfCodesVectors, randomUnitVectors } from '../test/helpers/random-vectors.js';
import { startServe } from '../test/helpers/serve.js';

const K = 10;
const DIMENSION = 64;
const DEFAULT_GRAPH: GraphParameters = { m: 16, efConstruction: 200 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The true 10th-nearest cosine distance of each query (vectors are unit length, so 1 − dot). */
function tenthDistances(data: Float32Array[], queries: Float32Array[]): number[] {
  const flat = new Float32Array(data.length * DIMENSION);
  data.forEach((v, i) => flat.set(v, i * DIMENSION));
  return queries.map((q) => {
    const best = new Float64Array(K).fill(Infinity);
    for (let i = 0; i < data.length; i++) {
      let dot = 0;
      const at = i * DIMENSION;
      for (let j = 0; j < DIMENSION; j++) dot += flat[at + j] * q[j];
      const d = 1 - dot;
      if (d < best[K - 1]) {
        let p = K - 1;
        while (p > 0 && best[p - 1] > d) best[p] = best[--p];
        best[p] = d;
      }
    }
    return best[K - 1];
  });
}

type Search = (query: number[]) => number[];

/** Recall@10 (tie-aware) and the median over 3 passes of the mean latency per query, in ms. */
function measure(search: Search, queries: number[][], tenth: number[]): { recall: number; ms: number } {
  let hits = 0;
  queries.forEach((q, i) => {
    hits += search(q).filter((d) => d <= tenth[i] + 1e-5).length;
  });
  const passes = [0, 1, 2].map(() => {
    const started = performance.now();
    for (const q of queries) search(q);
    return (performance.now() - started) / queries.length;
  });
  return { recall: hits / (K * queries.length), ms: median(passes) };
}

const row = (label: string, r: { recall: number; ms: number }) =>
  console.log(`  ${label.padEnd(52)} recall@10 ${r.recall.toFixed(4)}  ${(r.ms * 1000).toFixed(1).padStart(7)} µs/query`);

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
function calibratedRow(index: VectorIndex, queries: number[][], tenth: number[]): void {
  const { value: plan, seconds } = timed(() => calibrateSearch(index));
  index.plan = plan;
  const label = `boiler default: calibrated → ${plan.method === 'exact' ? 'exact' : `graph ef${plan.ef}`}`;
  row(label, measure((q) => index.search(q, K).map((h) => h.distance), queries, tenth));
  console.log(
    `    (calibration in ${seconds.toFixed(1)} s: graph reaches recall ${plan.recall.toFixed(3)} at ef${plan.ef}, ` +
      `${plan.graphMicros.toFixed(1)} µs vs exact ${plan.exactMicros.toFixed(1)} µs)`,
  );
}

function randomSuite(count: number, queryCount: number, grid: { m: number; efs: number[] }[]): Float32Array[] {
  const data = randomUnitVectors(count, DIMENSION, count);
  const queries = randomUnitVectors(queryCount, DIMENSION, count + 1);
  const tenth = tenthDistances(data, queries);
  const asArrays = queries.map((q) => Array.from(q));
  console.log(`\n${count} random unit vectors × ${DIMENSION}, ${queryCount} queries`);
  let defaultIndex: VectorIndex | undefined;
  for (const { m, efs } of grid) {
    const { value: index, seconds } = timed(() => boilerIndex(data, { m, efConstruction: 200 }));
    if (m === DEFAULT_GRAPH.m) defaultIndex = index;
    if (m === grid[0].m) row('exact (hnswlib brute force)', measure((q) => index.search(q, K, { method: 'exact' }).map((h) => h.distance), asArrays, tenth));
    for (const ef of efs) row(`graph M${m} efC200 ef${ef} (built in ${seconds.toFixed(1)} s)`, measure((q) => index.search(q, K, { ef }).map((h) => h.distance), asArrays, tenth));
  }
  calibratedRow(defaultIndex!, asArrays, tenth);
  return data;
}

function duplicatesSuite(): void {
  const count = 10_000;
  const data = bagOfCodesVectors(count, DIMENSION, 23, 11);
  const queries = bagOfCodesVectors(500, DIMENSION, 23, 12);
  const tenth = tenthDistances(data, queries);
  const asArrays = queries.map((q) => Array.from(q));
  const plain = new hnswlib.HierarchicalNSW('cosine', DIMENSION);
  plain.initIndex(count, DEFAULT_GRAPH.m, DEFAULT_GRAPH.efConstruction, 100);
  data.forEach((v, i) => plain.addPoint(Array.from(v), i));
  const index = boilerIndex(data, DEFAULT_GRAPH);
  console.log(`\n${count} BagTop-like vectors (23 codes of 64): ${index.distinct} distinct, ${queries.length} queries`);
  for (const ef of [100, 200]) {
    plain.setEf(ef);
    row(`plain hnswlib M16 efC200 ef${ef}, duplicates in graph`, measure((q) => plain.searchKnn(q, K).distances, asArrays, tenth));
  }
  row('exact (hnswlib brute force over distinct vectors)', measure((q) => index.search(q, K, { method: 'exact' }).map((h) => h.distance), asArrays, tenth));
  for (const ef of [16, 100]) row(`boiler, distinct vectors only, graph ef${ef}`, measure((q) => index.search(q, K, { ef }).map((h) => h.distance), asArrays, tenth));
  calibratedRow(index, asArrays, tenth);
}

/** Keep-alive connections that each send the next request as soon as the last answer is in. */
async function loadTest(url: string, bodies: Buffer[], connections: number, seconds: number): Promise<{ rate: number; p50: number; p99: number; errors: number }> {
  const { hostname, port } = new URL(url);
  const requests = bodies.map((body) =>
    Buffer.concat([
      Buffer.from(`POST /nearest?k=12 HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`),
      body,
    ]),
  );
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let running = true;
  const runConnection = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (!running) return void socket.end(resolve);
        sentAt = performance.now();
        socket.write(requests[next++ % requests.length]);
      };
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        const headEnd = buffer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buffer.subarray(0, headEnd).toString('latin1');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < headEnd + 4 + length) return;
        if (!head.startsWith('HTTP/1.1 200')) errors++;
        latencies.push(performance.now() - sentAt);
        buffer = buffer.subarray(headEnd + 4 + length);
        send();
      });
      socket.on('error', () => {
        errors++;
        resolve();
      });
      send();
    });
  const sockets = await Promise.all(
    Array.from({ length: connections }, () => new Promise<Socket>((resolve) => {
      const socket = connect(Number(port), hostname, () => resolve(socket));
      socket.setNoDelay(true);
    })),
  );
  const started = performance.now();
  const done = Promise.all(sockets.map(runConnection));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  await done;
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
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
    const server = await startServe(['--model-dir', dir]);
    try {
      const bodies = queries.map((q) => Buffer.from(JSON.stringify({ embedding: Array.from(q) })));
      await loadTest(server.url, bodies, 8, 1); // warm-up: JIT, caches
      const plan = method === 'exact' ? 'exact search' : `graph ef${ef}`;
      console.log(`\nboiler serve, POST /nearest?k=12 with ${data.length} ${kind} clips, ${plan} (target: ≥ 5,000 req/s at p99 < 10 ms)`);
      for (const connections of [8, 32]) {
        const results = [];
        for (let run = 0; run < 3; run++) results.push(await loadTest(server.url, bodies, connections, 3));
        const best = results.sort((a, b) => a.rate - b.rate)[1];
        console.log(
          `  ${String(connections).padStart(2)} connections: ${best.rate.toFixed(0).padStart(6)} req/s  p50 ${best.p50.toFixed(2)} ms  p99 ${best.p99.toFixed(2)} ms` +
            `  (median of 3 × 3 s; errors ${best.errors})`,
        );
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
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
