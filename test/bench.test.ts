import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { formatTick, linearTicks, logTicks, renderChart } from '../src/bench/chart.js';
import { postRequest, runLoad } from '../src/bench/load.js';
import { median, percentile } from '../src/bench/measure.js';
import { Canvas } from '../src/bench/raster.js';
import { toCsv } from '../src/bench/result.js';
import { kthDistances, measureDataset } from '../src/bench/search-index.js';
import { encodeGrayPng } from '../src/util/png.js';
import { randomUnitVectors } from '../src/util/random.js';

/** Decodes the 8-bit, unfiltered PNGs that src/util/png.ts writes: size, channels and pixel bytes. */
function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const width = header!.readUInt32BE(0);
  const height = header!.readUInt32BE(4);
  const channels = header![9] === 2 ? 3 : 1;
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * channels + 1)], 0, 'filter type none');
    raw.copy(pixels, y * width * channels, y * (width * channels + 1) + 1, (y + 1) * (width * channels + 1));
  }
  return { width, height, channels, pixels };
}

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

test('RGB and grayscale PNGs decode to the pixels drawn', () => {
  const canvas = new Canvas(6, 4, [255, 255, 255]);
  canvas.fillRect(1, 1, 2, 2, [200, 10, 20]);
  canvas.line(0, 3, 5, 3, [0, 0, 255]);
  canvas.plot(99, 99, [0, 0, 0]); // outside: clipped, not an error
  const { width, height, channels, pixels } = decodePng(canvas.toPng());
  assert.deepEqual([width, height, channels], [6, 4, 3]);
  const at = (x: number, y: number) => [...pixels.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
  assert.deepEqual(at(0, 0), [255, 255, 255]);
  assert.deepEqual(at(2, 2), [200, 10, 20]);
  assert.deepEqual(at(3, 2), [255, 255, 255]);
  assert.deepEqual(at(5, 3), [0, 0, 255]);
  const gray = decodePng(encodeGrayPng(Uint8Array.from([0, 50, 100, 150, 200, 250]), 3, 2));
  assert.deepEqual([gray.width, gray.height, gray.channels, ...gray.pixels], [3, 2, 1, 0, 50, 100, 150, 200, 250]);
});

test('text is drawn in the 5×7 font, lower case as capitals', () => {
  const canvas = new Canvas(12, 7);
  canvas.text(0, 0, 'a1', [0, 0, 0]);
  const rows = Array.from({ length: 7 }, (_, y) => Array.from({ length: 11 }, (_, x) => (canvas.pixel(x, y)[0] === 0 ? '#' : '.')).join(''));
  assert.deepEqual(rows, [
    '.###....#..',
    '#...#..##..',
    '#...#...#..',
    '#####...#..',
    '#...#...#..',
    '#...#...#..',
    '#...#..###.',
  ]);
  assert.equal(Canvas.textWidth('a1', 2), 22);
});

test('axis ticks: round linear steps, decades (with 2 and 5 when the range is short), short labels', () => {
  assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(0, 2700), [0, 1000, 2000]);
  assert.deepEqual(linearTicks(0, 2000), [0, 500, 1000, 1500, 2000]);
  assert.deepEqual(logTicks(10, 10000), [10, 100, 1000, 10000]);
  assert.deepEqual(logTicks(1, 10), [1, 2, 5, 10]);
  assert.deepEqual([formatTick(0.2), formatTick(1500), formatTick(25000), formatTick(3e6), formatTick(1 / 3)], ['0.2', '1500', '25K', '3M', '0.333']);
});

test('renderChart draws each series in its colour, lines and bars, with room for every panel', () => {
  const png = renderChart({
    title: 'test chart',
    note: 'a note',
    panels: [
      { title: 'lines', xLabel: 'x', yLabel: 'y', logX: true, logY: true, series: [{ name: 'one', points: [{ x: 1, y: 10 }, { x: 64, y: 1000 }] }] },
      { title: 'bars', xLabel: 'x', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 'one', points: [{ x: 0, y: 1 }] }, { name: 'two', points: [{ x: 1, y: 2 }] }] },
    ],
  });
  const { width, height, pixels } = decodePng(png);
  assert.equal(width, 1280);
  assert.ok(height > 400 && height < 600, `height ${height}`);
  const count = (r: number, g: number, b: number) => {
    let n = 0;
    for (let i = 0; i < pixels.length; i += 3) if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b) n++;
    return n;
  };
  // The first series' blue: a line, markers and legend swatches; the second's orange: a bar and a swatch.
  assert.ok(count(31, 119, 180) > 1000, 'blue');
  assert.ok(count(255, 127, 14) > 2000, 'orange bar');
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
