import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PANEL_WIDTH } from '../src/bench/chart.js';
import { runBoiler } from './helpers/cli.js';
import { fixtureWavs, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-bench-');

interface BenchJson {
  machine: string;
  benchmarks: { name: string; csv: string; png: string; seconds: number; columns: string[]; rows: (string | number)[][] }[];
}

test('boiler bench serve --model-dir: the real server under loopback load, figures in CSV, JSON and a PNG chart', async () => {
  const wavDir = await fixtureWavs(root);
  const indexed = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', referenceCheckpointIn(root), 'BagTopVQVAE']);
  assert.equal(indexed.code, 0, indexed.stderr);
  const out = join(root, 'results');
  const result = await runBoiler(['bench', 'serve', '--model-dir', join(root, 'save', 'vqvae_001', 'BagTopVQVAE'), '--out', out, '--json'], { timeoutMs: 180_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^bench: serve on \d+ cores/m);
  // One server process, then one per core, each under 1, 8 and 32 connections.
  const workers = [...new Set([1, availableParallelism()])];
  const label = (n: number) => (n === 1 ? '1 worker' : `${n} workers`);
  for (const n of workers) assert.match(result.stderr, new RegExp(`^serve: ${label(n)}, 32 connection\\(s\\) for 4 s \\(12 clips, 64-d, search (exact|graph ef \\d+)\\)$`, 'm'));

  const report = JSON.parse(result.stdout) as BenchJson;
  assert.match(report.machine, /cores .*load average/);
  const [serve] = report.benchmarks;
  assert.equal(serve.name, 'serve');
  assert.deepEqual(serve.columns, ['workers', 'connections', 'seconds', 'requests', 'req_per_s', 'p50_ms', 'p90_ms', 'p99_ms', 'errors']);
  assert.deepEqual(
    serve.rows.map((row) => [row[0], row[1]]),
    workers.flatMap((n) => [1, 8, 32].map((connections) => [n, connections])),
  );
  for (const [, , seconds, requests, rate, p50, p90, p99, errors] of serve.rows as number[][]) {
    assert.ok(requests > 10 && rate > 0, `${requests} requests`);
    assert.ok(Math.abs(rate - requests / seconds) < 1e-6 * rate);
    assert.ok(p50 > 0 && p50 <= p90 && p90 <= p99);
    assert.equal(errors, 0);
  }

  const csv = readFileSync(join(out, 'serve.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv[0], serve.columns.join(','));
  assert.equal(csv.length, 1 + serve.rows.length);
  assert.equal(csv[1].split(',')[3], String(serve.rows[0][3]));
  const png = readFileSync(join(out, 'serve.png'));
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  // Two panels side by side, drawn at twice their CSS size.
  assert.ok(png.readUInt32BE(16) >= 2 * 2 * PANEL_WIDTH, `a chart ${png.readUInt32BE(16)} pixels wide has no room for two panels`);
});

test('boiler bench: bad input is one line and exit 1', async () => {
  const unknown = await runBoiler(['bench', 'gpu']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /value 'gpu' is invalid for argument 'benchmark'\. Allowed choices are encoder, index, serve, convert, train, all/);
  const missing = await runBoiler(['bench', 'index', '--model-dir', join(root, 'nowhere')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^boiler: model directory .*nowhere \(from --model-dir\) does not exist: run boiler index first\n$/);
});
