import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clipIdentity, readCrawlPermalinks } from '../src/search/coub.js';
import { ModelDirWriter } from '../src/search/model-dir-writer.js';
import type { MapJson } from '../src/server/map-state.js';
import { FIXTURES, ROOT, runBoiler } from './helpers/cli.js';
import { randomUnitVectors } from './helpers/random-vectors.js';
import { scratchDir } from './helpers/scratch.js';
import { startServe, type ServeProcess } from './helpers/serve.js';

/**
 * The calls the page is made of, over a crawl's model directory: four coubs with titles,
 * categories and crawled audio, a local wav that is not a coub, and a training run's metrics.
 * The vectors are random (no encoder.onnx): these calls only look clips up.
 */
const root = scratchDir('boiler-page-api-');
const crawl = join(root, 'crawl');
const wavDir = join(crawl, 'wav');
const modelDir = join(root, 'save', 'vqvae_003', 'BagTopVQVAE');
const COUBS = [
  { permalink: '1dnm2b', title: 'Rain on a tin roof', category: 'nature', media: 'noise-1.m4a' },
  { permalink: '2a3b4c', title: 'Rain, again', category: 'nature', media: 'noise-2.m4a' },
  { permalink: '3x9y8z', title: 'Kick drum loop', category: 'music', media: 'beat-1.mp4' },
  { permalink: '4k5l6m', title: 'Sine sweep', category: 'science', media: 'sweep-1.ogg' },
];
const LOCAL = 'my recording.wav';
const metricsRows = Array.from({ length: 5 }, (_, i) => ({ epoch: 1, step: i + 1, loss: 2 - i / 10, recon: 1.9 - i / 10, latent: 0.1, codesTop: 1, codesBottom: 7 + i }));
let server: ServeProcess;

before(async () => {
  mkdirSync(join(crawl, 'audio'), { recursive: true });
  mkdirSync(wavDir, { recursive: true });
  const wav = readFileSync(join(ROOT, 'test', 'data', 'reference-tiny', 'clip0.wav'));
  const entries = COUBS.map((c) => {
    copyFileSync(join(FIXTURES, 'media', c.media), join(crawl, 'audio', `${c.permalink}.m4a`));
    writeFileSync(join(wavDir, `${c.permalink}.wav`), wav);
    return { permalink: c.permalink, url: `https://coub.com/view/${c.permalink}`, title: c.title, category: c.category, audio: `audio/${c.permalink}.m4a`, video: null, status: 'ok' };
  });
  writeFileSync(join(crawl, 'manifest.jsonl'), entries.map((e) => JSON.stringify(e) + '\n').join(''));
  writeFileSync(join(wavDir, LOCAL), wav);

  const checkpoint = join(root, 'save', 'vqvae_003.safetensors');
  mkdirSync(join(root, 'save'), { recursive: true });
  writeFileSync(checkpoint, 'weights');
  writeFileSync(join(root, 'save', 'metrics.jsonl'), metricsRows.map((r) => JSON.stringify(r) + '\n').join('') + '{"step": 6, "lo');
  const writer = ModelDirWriter.open(modelDir, {
    encoder: 'BagTopVQVAE',
    dimension: 8,
    checkpoint: { path: checkpoint, sha256: '0'.repeat(64) },
    parameters: { space: 'cosine', m: 16, efConstruction: 100, batchSize: 1 },
    wavDir,
  });
  const files = [...COUBS.map((c) => `${c.permalink}.wav`), LOCAL];
  const vectors = randomUnitVectors(files.length, 8, 5);
  const crawled = readCrawlPermalinks(wavDir);
  files.forEach((file, i) => writer.add(file, clipIdentity(file, crawled), vectors[i]));
  writer.commit({ calibrate: false });
  server = await startServe(['--model-dir', modelDir, '--workers', '2', '--cors', 'http://page.example:8080']);
});
after(() => {
  server?.child.kill('SIGKILL');
});

async function getJson<T>(path: string, status = 200): Promise<T> {
  const response = await fetch(server.url + path);
  const json = (await response.json()) as T;
  assert.equal(response.status, status, `${path}: ${JSON.stringify(json)}`);
  return json;
}

interface Clip {
  id: string;
  title: string;
  url: string;
  coub: string | null;
  category: string | null;
  audio: string | null;
}

describe('GET /clips', () => {
  test("finds clips by title or id, case-insensitively, with the crawl's titles, categories and coub pages", async () => {
    const rain = await getJson<{ total: number; clips: Clip[] }>('/clips?q=RAIN');
    assert.equal(rain.total, 2);
    assert.deepEqual(rain.clips[0], {
      id: '1dnm2b',
      title: 'Rain on a tin roof',
      url: 'https://coub.com/view/1dnm2b',
      coub: 'https://coub.com/view/1dnm2b',
      category: 'nature',
      audio: '/clips/1dnm2b/audio',
    });
    const local = await getJson<{ clips: Clip[] }>('/clips?q=recording');
    assert.deepEqual(local.clips, [{ id: LOCAL, title: 'my recording', url: LOCAL, coub: null, category: null, audio: '/clips/my%20recording.wav/audio' }]);
    const all = await getJson<{ total: number; clips: Clip[] }>('/clips?limit=2');
    assert.equal(all.total, 5);
    assert.deepEqual(all.clips.map((c) => c.id), ['1dnm2b', '2a3b4c']);
    const bad = await getJson<{ detail: string }>('/clips?limit=0', 400);
    assert.match(bad.detail, /limit must be an integer from 1 to 200/);
  });
});

describe('GET /clips/{id}/audio', () => {
  test('streams the crawled audio file of a coub, and the wav of a local clip', async () => {
    const coub = await fetch(server.url + '/clips/3x9y8z/audio');
    assert.equal(coub.status, 200);
    assert.equal(coub.headers.get('accept-ranges'), 'bytes');
    assert.equal(coub.headers.get('content-type'), 'audio/mp4');
    assert.deepEqual(Buffer.from(await coub.arrayBuffer()), readFileSync(join(crawl, 'audio', '3x9y8z.m4a')));
    const local = await fetch(server.url + '/clips/' + encodeURIComponent(LOCAL) + '/audio');
    assert.equal(local.headers.get('content-type'), 'audio/wav');
    assert.deepEqual(Buffer.from(await local.arrayBuffer()), readFileSync(join(wavDir, LOCAL)));
  });

  test('answers Range requests with 206 and exactly the bytes asked for, 416 past the end', async () => {
    const file = readFileSync(join(crawl, 'audio', '1dnm2b.m4a'));
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, file.length - 1],
      ['bytes=-50', file.length - 50, file.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await fetch(server.url + '/clips/1dnm2b/audio', { headers: { Range: range } });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/${file.length}`);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), file.subarray(start, end + 1), range);
    }
    const past = await fetch(server.url + '/clips/1dnm2b/audio', { headers: { Range: `bytes=${file.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${file.length}`);
  });

  test('only indexed clips can be read: ids are looked up, never joined into a path', async () => {
    // A raw request, so that no client normalises the dots away.
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(server.url);
        request({ hostname, port, path }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        })
          .on('error', reject)
          .end();
      });
    for (const path of [
      '/clips/..%2F..%2F..%2F..%2Fetc%2Fpasswd/audio',
      '/clips/%2Fetc%2Fpasswd/audio',
      '/clips/../../../etc/passwd/audio',
      '/clips/..%2Fmanifest.jsonl/audio',
      '/clips/1dnm2b.wav/audio',
    ]) {
      const { status, body } = await raw(path);
      assert.equal(status, 404, path);
      assert.doesNotMatch(body, /root:|permalink/, path);
    }
    const malformed = await raw('/clips/%E0%A4%A/audio');
    assert.equal(malformed.status, 400);
  });
});

test('GET /nearest/clip/{id}: the clip\'s neighbours, itself left out, each with its title and audio', async () => {
  const matches = await getJson<{ coub_id: string; rank: number; title: string; audio: string }[]>('/nearest/clip/2a3b4c?k=10');
  assert.equal(matches.length, 4);
  assert.ok(!matches.some((m) => m.coub_id === '2a3b4c'));
  assert.deepEqual(matches.map((m) => m.rank), [1, 2, 3, 4]);
  const rain = matches.find((m) => m.coub_id === '1dnm2b')!;
  assert.equal(rain.title, 'Rain on a tin roof');
  assert.equal(rain.audio, '/clips/1dnm2b/audio');
  const missing = await getJson<{ detail: string }>('/nearest/clip/nope', 404);
  assert.match(missing.detail, /no indexed clip "nope"/);
});

describe('feedback', () => {
  test('votes from many concurrent requests, served by two processes, each land as one whole line', async () => {
    const votes = Array.from({ length: 60 }, (_, i) => ({
      query: i % 2 ? { clip: '1dnm2b' } : { upload: `take ${i}.webm`, sha256: 'ab'.repeat(32) },
      result: COUBS[i % 4].permalink,
      vote: i % 3 ? 'up' : 'down',
      rank: (i % 4) + 1,
      distance: i / 100,
    }));
    const answers = await Promise.all(votes.map((vote) => fetch(server.url + '/feedback', { method: 'POST', body: JSON.stringify(vote) })));
    assert.deepEqual(answers.map((a) => a.status), votes.map(() => 201));
    const exported = await fetch(server.url + '/feedback');
    assert.match(exported.headers.get('content-type')!, /application\/x-ndjson/);
    const lines = (await exported.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, votes.length);
    const key = (v: Record<string, unknown>) => JSON.stringify([v.query, v.result, v.vote, v.rank]);
    assert.deepEqual(lines.map(key).sort(), votes.map(key).sort());
    for (const line of lines) assert.ok(!Number.isNaN(Date.parse(line.time as string)), `time ${line.time}`);
    assert.equal(readFileSync(join(modelDir, 'feedback.jsonl'), 'utf8').split('\n').length, votes.length + 1);
  });

  test('a vote that names no indexed clip, no query or no up/down is refused with 400 and not recorded', async () => {
    const before = (await (await fetch(server.url + '/feedback')).text()).length;
    const refused: [unknown, RegExp][] = [
      [{ query: { clip: '1dnm2b' }, result: '../etc/passwd', vote: 'up' }, /result must be the id of an indexed clip/],
      [{ query: { clip: 'nope' }, result: '1dnm2b', vote: 'up' }, /query must name an indexed clip or an upload/],
      [{ query: { upload: 'x.mp3', sha256: 'xyz' }, result: '1dnm2b', vote: 'up' }, /query must name an indexed clip or an upload/],
      [{ query: { clip: '1dnm2b' }, result: '2a3b4c', vote: 'meh' }, /vote must be "up" or "down"/],
      [{ query: { clip: '1dnm2b' }, result: '2a3b4c', vote: 'up', rank: 0 }, /rank must be a whole number/],
      ['not json', /not valid JSON/],
    ];
    for (const [body, detail] of refused) {
      const response = await fetch(server.url + '/feedback', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(((await response.json()) as { detail: string }).detail, detail);
    }
    assert.equal((await (await fetch(server.url + '/feedback')).text()).length, before);
  });

  test('--feedback FILE puts the votes there; a folder that does not exist is refused at start', async () => {
    const file = join(root, 'votes.jsonl');
    const own = await startServe(['--model-dir', modelDir, '--feedback', file]);
    try {
      const response = await fetch(own.url + '/feedback', { method: 'POST', body: JSON.stringify({ query: { clip: '4k5l6m' }, result: '3x9y8z', vote: 'down' }) });
      assert.equal(response.status, 201);
      assert.match(readFileSync(file, 'utf8'), /^\{"time":"[^"]+","query":\{"clip":"4k5l6m"\},"result":"3x9y8z","vote":"down"\}\n$/);
    } finally {
      own.child.kill('SIGKILL');
    }
    const refused = await runBoiler(['serve', '--model-dir', modelDir, '--port', '0', '--feedback', join(root, 'no-such-folder', 'votes.jsonl')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^boiler: --feedback .*no-such-folder\/votes\.jsonl: the folder .* does not exist: create it or pass another file\n$/);
  });
});

describe('GET /map', () => {
  async function mapOf(url: string): Promise<MapJson> {
    for (;;) {
      const response = await fetch(url + '/map');
      if (response.status === 200) return (await response.json()) as MapJson;
      assert.equal(response.status, 202);
      assert.equal(response.headers.get('retry-after'), '2');
      assert.match(((await response.json()) as { detail: string }).detail, /computing the map of 5 clips/);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  test("every clip as a point in [0, 1]², coloured by the crawl's categories; computed on first use, off the event loop", async () => {
    const first = await fetch(server.url + '/map');
    assert.equal(first.status, 202, 'no map.json yet: the first ask starts the work');
    assert.equal((await fetch(server.url + '/health')).status, 200, 'the server answers meanwhile');
    const map = await mapOf(server.url);
    assert.equal(JSON.parse(readFileSync(join(modelDir, 'map.json'), 'utf8')).count, 5, 'kept in the model directory');
    assert.equal(map.count, 5);
    assert.deepEqual(map.ids, ['1dnm2b', '2a3b4c', '3x9y8z', '4k5l6m', LOCAL]);
    assert.equal(map.titles[2], 'Kick drum loop');
    for (const v of [...map.x, ...map.y]) assert.ok(v >= 0 && v <= 1, `${v}`);
    assert.equal(map.labelSource, 'crawl categories');
    assert.deepEqual(map.label.map((i) => (i < 0 ? null : map.labels[i])), ['nature', 'nature', 'music', 'science', null]);
  });

  test('--labels FILE colours it by an eval labels file instead', async () => {
    const labels = join(root, 'labels.csv');
    writeFileSync(labels, 'clip,label\n1dnm2b,rain\nmy recording.wav,voice\n');
    const own = await startServe(['--model-dir', modelDir, '--labels', labels]);
    try {
      const map = await mapOf(own.url);
      assert.equal(map.labelSource, 'labels file labels.csv');
      assert.deepEqual(map.label.map((i) => (i < 0 ? null : map.labels[i])), ['rain', null, null, null, 'voice']);
    } finally {
      own.child.kill('SIGKILL');
    }
  });
});

test("GET /training/metrics: metrics.jsonl beside the checkpoint, step by step (a line cut short left out)", async () => {
  const health = await getJson<{ training: boolean }>('/health');
  assert.equal(health.training, true);
  const metrics = await getJson<{ checkpoint: string; rows: unknown[] }>('/training/metrics');
  assert.equal(metrics.checkpoint, join(root, 'save', 'vqvae_003.safetensors'));
  assert.deepEqual(metrics.rows, metricsRows);
});

describe('--cors', () => {
  test('the allowed origin gets the CORS headers and its preflight answered; another origin does not', async () => {
    const origin = 'http://page.example:8080';
    const preflight = await fetch(server.url + '/nearest/audio', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.match(preflight.headers.get('access-control-allow-headers')!, /Content-Type/);
    const answer = await fetch(server.url + '/clips?q=rain', { headers: { Origin: origin } });
    assert.equal(answer.headers.get('access-control-allow-origin'), origin);
    assert.match(answer.headers.get('access-control-expose-headers')!, /X-Boiler-Audio-Seconds/);
    const other = await fetch(server.url + '/clips?q=rain', { headers: { Origin: 'http://elsewhere.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  test('a value that is not * or an origin is refused before anything starts (exit 1, a bad value)', async () => {
    const result = await runBoiler(['serve', '--model-dir', modelDir, '--cors', 'https://example.com/app']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--cors.*expected \* or origins such as https:\/\/example\.com:8080 \(scheme, host, port; no path\), got "https:\/\/example\.com\/app"/);
  });
});
