/**
 * `boiler serve` under load: requests per second and latency percentiles of POST /nearest (k = 10)
 * from a loopback load generator in this process, against the real server in its own process,
 * by the number of concurrent keep-alive connections. On a model directory of random vectors,
 * or on the one given, queried with its own clips' embeddings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelDirWriter } from '../search/model-dir-writer.js';
import { ModelIndex } from '../search/model-index.js';
import { randomUnitVectors, seededRandom } from '../util/random.js';
import { runLoad, postRequest, type LoadResult } from './load.js';
import { machineNote } from './measure.js';
import type { BenchResult } from './result.js';

const BOILER = fileURLToPath(new URL('../../bin/boiler', import.meta.url));
export const SERVE_PLAN = { clips: 10_000, dimension: 64, connections: [1, 8, 32], seconds: 4, warmUpSeconds: 1, queries: 200 };

/** One server process, and one per core (`--workers`), compared in the same run. */
export function workerCounts(): number[] {
  return [...new Set([1, availableParallelism()])];
}

export interface ServeProcess {
  url: URL;
  stop(): Promise<void>;
}

/** Starts `boiler serve` (with `workers` processes) on a free loopback port and waits until it says where it listens. */
export function spawnServeProcess(modelDir: string, workers = 1): Promise<ServeProcess> {
  const args = [BOILER, 'serve', '--model-dir', modelDir, '--port', '0', '--workers', String(workers)];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = / at (http:\/\/\S+) \(docs/.exec(stderr)?.[1];
      if (url) {
        resolve({
          url: new URL(url),
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`boiler serve exited (${code}) before listening: ${stderr.trim()}`)));
  });
}

/** Writes a model directory of random unit vectors into `dir` (no encoder: POST /nearest takes embeddings); returns `dir`. */
export function serveBenchModelDir(dir: string): string {
  const { clips, dimension } = SERVE_PLAN;
  const vectors = randomUnitVectors(clips, dimension, 1);
  const writer = ModelDirWriter.open(dir, {
    encoder: 'BagTopVQVAE',
    dimension,
    checkpoint: { path: 'random vectors', sha256: '0'.repeat(64) },
    parameters: { space: 'cosine', m: 16, efConstruction: 200, batchSize: 32 },
  });
  vectors.forEach((v, i) => writer.add(`clip-${i}.wav`, { coubId: `c${i}`, label: `https://coub.com/view/c${i}` }, v));
  writer.commit({ calibrate: true });
  return dir;
}

/** Some of the model directory's own embeddings (seeded), as queries. */
function ownQueries(modelDir: string): Float32Array[] {
  const index = ModelIndex.open(modelDir);
  const random = seededRandom(3);
  return Array.from({ length: SERVE_PLAN.queries }, () => index.vectors.vectorOf(Math.floor(random() * index.clips.length)));
}

export interface ServeBenchOptions {
  modelDir?: string;
  log?: (line: string) => void;
}

export async function benchServe(options: ServeBenchOptions = {}): Promise<BenchResult> {
  const scratch = options.modelDir ? undefined : mkdtempSync(join(tmpdir(), 'boiler-bench-serve-'));
  const results: (LoadResult & { workers: number })[] = [];
  let described: string;
  try {
    const modelDir = options.modelDir ?? scratch!;
    const queries = options.modelDir ? ownQueries(modelDir) : (serveBenchModelDir(modelDir), randomUnitVectors(SERVE_PLAN.queries, SERVE_PLAN.dimension, 2));
    const { manifest } = ModelIndex.open(modelDir);
    described = `${manifest.count} clips, ${manifest.dimension}-d, search ${manifest.search.method === 'exact' ? 'exact' : `graph ef ${manifest.search.ef}`}`;
    for (const workers of workerCounts()) {
      const server = await spawnServeProcess(modelDir, workers);
      try {
        const requests = queries.map((q) => postRequest(new URL('/nearest?k=10', server.url), JSON.stringify({ embedding: Array.from(q) })));
        await runLoad(server.url, requests, 8, SERVE_PLAN.warmUpSeconds); // JIT, caches
        for (const connections of SERVE_PLAN.connections) {
          options.log?.(`serve: ${workerLabel(workers)}, ${connections} connection(s) for ${SERVE_PLAN.seconds} s (${described})`);
          results.push({ workers, ...(await runLoad(server.url, requests, connections, SERVE_PLAN.seconds)) });
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  const byConnections = (workers: number, value: (r: LoadResult) => number) =>
    results.filter((r) => r.workers === workers).map((r) => ({ x: r.connections, y: value(r) }));
  const perWorkers = (series: (workers: number) => { name: string; points: { x: number; y: number }[] }[]) => workerCounts().flatMap(series);
  return {
    name: 'serve',
    columns: ['workers', 'connections', 'seconds', 'requests', 'req_per_s', 'p50_ms', 'p90_ms', 'p99_ms', 'errors'],
    rows: results.map((r) => [r.workers, r.connections, r.seconds, r.requests, r.requestsPerSecond, r.p50Ms, r.p90Ms, r.p99Ms, r.errors]),
    chart: {
      title: `boiler serve: POST /nearest?k=10 over loopback (${described})`,
      note: machineNote(),
      panels: [
        {
          title: 'throughput',
          xLabel: 'keep-alive connections',
          yLabel: 'requests/s',
          logX: true,
          series: perWorkers((w) => [{ name: `req/s, ${workerLabel(w)}`, points: byConnections(w, (r) => r.requestsPerSecond) }]),
        },
        {
          title: 'latency',
          xLabel: 'keep-alive connections',
          yLabel: 'ms',
          logX: true,
          logY: true,
          series: perWorkers((w) => [
            { name: `p50, ${workerLabel(w)}`, points: byConnections(w, (r) => r.p50Ms) },
            { name: `p99, ${workerLabel(w)}`, points: byConnections(w, (r) => r.p99Ms) },
          ]),
        },
      ],
    },
    summary: [
      `${described} (target: ≥ 5,000 req/s at p99 < 10 ms):`,
      ...results.map(
        (r) =>
          `  ${workerLabel(r.workers).padEnd(9)} ${String(r.connections).padStart(2)} connection(s): ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
          `p50 ${r.p50Ms.toFixed(2)} ms  p90 ${r.p90Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  (${r.requests} requests, ${r.errors} errors)`,
      ),
    ],
  };
}

function workerLabel(workers: number): string {
  return workers === 1 ? '1 worker' : `${workers} workers`;
}
