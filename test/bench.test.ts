import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { renderChart } from '../src/bench/chart.js';
import { postRequest, runLoad } from '../src/bench/load.js';
import { median, percentile } from '../src/bench/measure.js';
import { toCsv } from '../src/bench/result.js';
import { kthDistances, measureDataset } from '../src/bench/search-index-bench.js';
import { randomUnitVectors } from '../src/util/random.js';

test('median and nearest-rank percentiles', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
});

test('CSV: a header line, then rows; fields with commas or quotes are quoted', () => {
  assert.equal(toCsv(['name', 'value'], [['a', 1.23456789], ['b, "c"', 2]]), 'name,value\na,1.23457\n"b, ""c""",2\n');
});

test('renderChart draws each series in its colour, lines and bars, with room for every panel', async () => {
  const png = await renderChart({
    title: 'test chart',
    note: 'a note',
    panels: [
      { title: 'lines', xLabel: 'x', yLabel: 'y', logX: true, logY: true, series: [{ name: 'one', points: [{ x: 1, y: 10 }, { x: 64, y: 1000 }] }] },
      { title: 'bars', xLabel: 'x', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 'one', points: [{ x: 0, y: 1 }] }, { name: 'two', points: [{ x: 1, y: 2 }] }] },
    ],
  });
  const { width, height, data: pixels } = PNG.sync.read(png);
  assert.ok(width > 2200 && width < 2800, `width ${width}`);
  assert.ok(height > 800 && height < 1200, `height ${height}`);
  const count = (r: number, g: number, b: number) => {
    let n = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b) n++;
    return n;
  };
  // The first series' blue: a line, markers and legend swatches; the second's orange: a bar and a swatch.
  assert.ok(count(31, 119, 180) > 1000, 'blue');
  assert.ok(count(255, 127, 14) > 20000, 'orange bar');
});

test('kthDistances: the true k-th cosine distance by brute force', () => {
  const vectors = [Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(-1, 0), Float32Array.of(2, 2)];
  const [first, second] = kthDistances(vectors, [Float32Array.of(1, 0), Float32Array.of(1, 1)], 2);
  // From (1, 0): itself at 0, then (2, 2) at 1 − cos 45°.
  assert.ok(Math.abs(first - (1 - Math.SQRT1_2)) < 1e-6, String(first));
  // From (1, 1): (2, 2) at 0, then (1, 0) and (0, 1) both at 1 − cos 45°.
  assert.ok(Math.abs(second - (1 - Math.SQRT1_2)) < 1e-6, String(second));
});

test('the index grid: exact search has recall 1, the graph more recall at larger ef, on real hnswlib', () => {
  const vectors = randomUnitVectors(2000, 16, 5);
  const results = measureDataset({ name: 'small', vectors, queries: randomUnitVectors(50, 16, 6) });
  const exact = results.find((r) => r.m === 'exact')!;
  assert.equal(exact.recall, 1);
  assert.equal(results.length, 1 + 3 * 6);
  for (const m of [8, 16, 32]) {
    const own = results.filter((r) => r.m === m);
    assert.ok(own.every((r) => r.recall > 0 && r.recall <= 1 && r.usPerQuery > 0));
    assert.ok(own[own.length - 1].recall >= own[0].recall, `M${m}: ${own.map((r) => r.recall).join(' ')}`);
    assert.ok(own[own.length - 1].recall > 0.95, `M${m} at ef 320: ${own[own.length - 1].recall}`);
  }
});

test('the load generator counts answers, latencies and non-200 answers over real keep-alive HTTP', async () => {
  let served = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      served++;
      const failing = JSON.parse(body).fail === true;
      response.writeHead(failing ? 500 : 200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ echo: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/nearest?k=10`);
    const ok = postRequest(url, JSON.stringify({ fail: false }));
    assert.match(ok.toString(), /^POST \/nearest\?k=10 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nContent-Type: application\/json\r\nContent-Length: 14\r\n\r\n\{"fail":false\}$/);
    const result = await runLoad(url, [ok, postRequest(url, JSON.stringify({ fail: true }))], 4, 0.5);
    assert.equal(result.connections, 4);
    assert.ok(result.requests > 20, `${result.requests} requests`);
    assert.equal(result.requests, served);
    // Every other request fails: the two alternate across the connections.
    assert.ok(Math.abs(result.errors - result.requests / 2) <= 4, `${result.errors} errors of ${result.requests}`);
    assert.ok(result.p50Ms > 0 && result.p50Ms <= result.p90Ms && result.p90Ms <= result.p99Ms);
    assert.ok(Math.abs(result.requestsPerSecond - result.requests / result.seconds) < 1e-9);
  } finally {
    server.close();
  }
});
