import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelDirWriter } from '../src/search/model-dir-writer.js';
import { FIXTURES, runBoiler } from './helpers/cli.js';
import { REFERENCE_DIMENSION, REFERENCE_ENCODER, referenceModelDir } from './helpers/model-dir.js';
import { randomUnitVectors } from './helpers/random-vectors.js';
import { startServe, type ServeProcess } from './helpers/serve.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-serve-');
let modelDir: string;
let server: ServeProcess;
before(async () => {
  modelDir = await referenceModelDir(root);
  server = await startServe(['--model-dir', modelDir, '--max-upload-mb', '0.25']);
});
after(async () => {
  server?.child.kill('SIGKILL');
});

interface Match {
  distance: number;
  coub_id: string;
  url: string;
}

function tensorRow(file: string): number[] {
  const names = readFileSync(join(modelDir, 'clips.tsv'), 'utf8').split('\n');
  return readFileSync(join(modelDir, '00000/default/tensors.tsv'), 'utf8').split('\n')[names.indexOf(file)].split('\t').map(Number);
}

async function post(path: string, body: RequestInit['body'], headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(server.url + path, { method: 'POST', body, headers });
  return { status: response.status, json: await response.json() };
}

async function expect400(path: string, body: RequestInit['body'], detail: RegExp, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  const { status, json } = await post(path, body, headers);
  assert.equal(status, 400, `${path} ${String(body).slice(0, 80)}: ${JSON.stringify(json)}`);
  assert.match((json as { detail: string }).detail, detail);
}

describe('POST /nearest', () => {
  test("answers the original's [{distance, coub_id}] (plus url and what the page shows), nearest first, 12 by default", async () => {
    const { status, json } = await post('/nearest', JSON.stringify({ embedding: tensorRow('noise-2.wav') }), { 'Content-Type': 'application/json' });
    assert.equal(status, 200);
    const matches = json as Match[];
    assert.equal(matches.length, 12);
    assert.deepEqual(Object.keys(matches[0]), ['distance', 'coub_id', 'url', 'rank', 'title', 'coub', 'category', 'audio']);
    assert.equal(matches[0].distance, 0);
    assert.ok(matches.some((m) => m.coub_id === 'noise-2.wav' && m.distance === 0));
    assert.deepEqual(
      matches.map((m) => m.distance),
      matches.map((m) => m.distance).sort((a, b) => a - b),
    );
  });

  test('?k= sets how many', async () => {
    const { json } = await post('/nearest?k=3', JSON.stringify({ embedding: tensorRow('sweep-2.wav') }));
    assert.equal((json as Match[]).length, 3);
  });

  test('a wrong dimension, NaN, a k out of range, malformed JSON or an oversized body: 400 with a clear detail', async () => {
    const good = JSON.stringify({ embedding: tensorRow('beat-1.wav') });
    await expect400('/nearest', JSON.stringify({ embedding: [1, 2, 3] }), new RegExp(`has 3 numbers but this index holds ${REFERENCE_DIMENSION}-dimensional vectors`));
    await expect400('/nearest', good.replace(/^\{"embedding":\[[^,]+/, '{"embedding":[NaN'), /not valid JSON.*JSON has no NaN or Infinity/);
    await expect400('/nearest', JSON.stringify({ embedding: [...tensorRow('beat-1.wav').slice(1), 'x'] }), new RegExp(`element ${REFERENCE_DIMENSION - 1} is "x"`));
    await expect400('/nearest', JSON.stringify({ embedding: new Array(REFERENCE_DIMENSION).fill(0) }), /all zeros/);
    for (const k of ['0', '1001', 'ten', '2.5', '-1']) await expect400(`/nearest?k=${k}`, good, /k must be an integer from 1 to 1000/);
    await expect400('/nearest', '{"embedding": [1, 2', /the body is not valid JSON/);
    await expect400('/nearest', '', /the body is not valid JSON/);
    await expect400('/nearest', JSON.stringify({ vector: [1] }), /must be a JSON object \{"embedding": \[numbers\]\}/);
    await expect400('/nearest', JSON.stringify({ embedding: new Array(400_000).fill(0.5) }), /larger than the 1 MiB/);
    const health = await fetch(server.url + '/health');
    assert.equal(health.status, 200, 'still up');
  });
});

describe('POST /nearest/audio', () => {
  test('takes a media file as the raw body and finds the clip it was indexed from at distance 0', async () => {
    const { status, json } = await post('/nearest/audio?k=12', readFileSync(join(FIXTURES, 'media', 'tone-3.mp3')), { 'Content-Type': 'audio/mpeg' });
    assert.equal(status, 200, JSON.stringify(json));
    assert.ok((json as Match[]).some((m) => m.coub_id === 'tone-3.wav' && m.distance < 1e-6));
  });

  test('takes a multipart form upload (curl -F file=@clip.ogg)', async () => {
    const form = new FormData();
    form.append('note', 'not the file');
    form.append('file', new Blob([readFileSync(join(FIXTURES, 'media', 'sweep-3.ogg'))]), 'sweep-3.ogg');
    const { status, json } = await post('/nearest/audio?k=12', form);
    assert.equal(status, 200, JSON.stringify(json));
    assert.ok((json as Match[]).some((m) => m.coub_id === 'sweep-3.wav' && m.distance < 1e-6));
  });

  test('a non-media, empty, video-only or oversized upload: 400, and the server goes on', async () => {
    const octets = { 'Content-Type': 'application/octet-stream' };
    await expect400('/nearest/audio', readFileSync(join(FIXTURES, 'bad', 'not-media.mp3')), /not audio that ffmpeg can decode/, octets);
    await expect400('/nearest/audio', readFileSync(join(FIXTURES, 'bad', 'corrupt.mp4')), /not audio that ffmpeg can decode/, octets);
    await expect400('/nearest/audio', readFileSync(join(FIXTURES, 'bad', 'video-only.mp4')), /no audio stream/, octets);
    await expect400('/nearest/audio', new Uint8Array(0), /the upload is empty/, octets);
    await expect400('/nearest/audio', new Uint8Array(300 * 1024), /larger than the 256 KiB this server accepts/, octets);
    const form = new FormData();
    form.append('note', 'no file here');
    await expect400('/nearest/audio', form, /has no file: send the media as a form field named file/, {});
    await expect400('/nearest/audio', 'x', /the multipart\/form-data body cannot be read: Multipart: Boundary not found/, { 'Content-Type': 'multipart/form-data' });
    const { status } = await post('/nearest/audio?k=1', readFileSync(join(FIXTURES, 'media', 'noise-1.m4a')));
    assert.equal(status, 200);
  });

  test('an oversized upload streamed without Content-Length is cut off with 400', async () => {
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ < 16) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(server.url + '/nearest/audio', { method: 'POST', body, duplex: 'half' } as RequestInit);
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { detail: string }).detail, /larger than the 256 KiB/);
  });
});

describe('GET', () => {
  test('/health says what is served', async () => {
    const response = await fetch(server.url + '/health');
    // The reference checkpoint has no metrics.jsonl beside it: no training curves.
    assert.deepEqual(await response.json(), { status: 'ok', encoder: REFERENCE_ENCODER, dimension: REFERENCE_DIMENSION, clips: 12, audio: true, training: false });
  });

  test('/openapi.json describes every call with working examples; /docs is Swagger UI served from the package', async () => {
    const spec = (await (await fetch(server.url + '/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { example?: { embedding: number[] } }> } }>>;
    };
    assert.match(spec.openapi, /^3\./);
    assert.deepEqual(Object.keys(spec.paths), [
      '/nearest',
      '/nearest/audio',
      '/nearest/clip/{id}',
      '/clips',
      '/clips/{id}/audio',
      '/feedback',
      '/map',
      '/training/metrics',
      '/health',
    ]);
    const example = spec.paths['/nearest'].post.requestBody!.content['application/json'].example!;
    const { status } = await post('/nearest', JSON.stringify(example));
    assert.equal(status, 200, 'the example answers');
    const docs = await fetch(server.url + '/docs');
    assert.match(docs.headers.get('content-type')!, /text\/html/);
    const html = await docs.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.includes('/docs/swagger-ui-bundle.js'), html);
    for (const asset of assets) {
      assert.match(asset, /^\//, `${asset}: everything comes from this server`);
      assert.equal((await fetch(server.url + asset)).status, 200, asset);
    }
    assert.match(await (await fetch(server.url + '/docs/init.js')).text(), /url: '\/openapi\.json'[\s\S]*validatorUrl: null/);
  });

  test('an unknown path is 404 and a wrong method 405, both with a detail', async () => {
    const missing = await fetch(server.url + '/nope');
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { detail: string }).detail, /no such path \/nope/);
    const wrong = await fetch(server.url + '/nearest');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
  });
});

test('SIGTERM lets a request in flight finish, then the server exits 0', async () => {
  const own = await startServe(['--model-dir', modelDir]);
  const { port } = new URL(own.url);
  const body = JSON.stringify({ embedding: tensorRow('tone-1.wav') });
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  // Headers and half the body now; the rest once the server has been told to stop. Expect:
  // 100-continue makes the server say when it has the request (its headers parsed): the moment
  // the request is in flight, and SIGTERM may come.
  socket.write(`POST /nearest?k=2 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100)}`);
  await new Promise<void>((resolve) => socket.on('data', () => answer.includes('100 Continue') && resolve()));
  own.child.kill('SIGTERM');
  await own.stderrLine(/finishing requests in flight/);
  await assert.rejects(fetch(own.url + '/health'), 'no new connections while draining');
  socket.write(body.slice(100));
  await closed;
  assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.match(answer, /Connection: close/i);
  assert.match(answer, /"coub_id":"tone-\d\.wav"/);
  assert.equal(await own.exited, 0);
  assert.match(own.stderr(), /stopped/);
});

test('a model directory without encoder.onnx serves embeddings and answers uploads with 503', async () => {
  const dir = join(root, 'vectors-only');
  const writer = ModelDirWriter.open(dir, {
    encoder: 'BagTopVQVAE',
    dimension: 16,
    checkpoint: { path: 'none', sha256: '0'.repeat(64) },
    parameters: { space: 'cosine', m: 16, efConstruction: 100, batchSize: 1 },
  });
  const vectors = randomUnitVectors(500, 16, 9);
  vectors.forEach((v, i) => writer.add(`clip-${i}.wav`, { coubId: `clip-${i}.wav`, label: `clip-${i}.wav` }, v));
  writer.commit({ calibrate: true });
  const own = await startServe(['--model-dir', dir]);
  try {
    assert.match(own.stderr(), /no encoder\.onnx: POST \/nearest\/audio will answer 503/);
    const response = await fetch(own.url + '/nearest?k=1', { method: 'POST', body: JSON.stringify({ embedding: Array.from(vectors[123]) }) });
    assert.deepEqual(await response.json(), [
      { distance: 0, coub_id: 'clip-123.wav', url: 'clip-123.wav', rank: 1, title: 'clip-123', coub: null, category: null, audio: null },
    ]);
    const audio = await fetch(own.url + '/nearest/audio', { method: 'POST', body: 'x' });
    assert.equal(audio.status, 503);
    // The advice is the index run that writes it, as far as the manifest knows it.
    const { detail } = (await audio.json()) as { detail: string };
    assert.match(detail, /cannot embed audio: run boiler index --checkpoint none BagTopVQVAE --ef-construction 100 again, with the --wav-dir it was made from/);
  } finally {
    own.child.kill('SIGKILL');
  }
});

/** The pids of a process's children (Linux). */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
}

describe('--workers', () => {
  test('N worker processes share the port; one that dies is replaced; SIGTERM stops them all and exits 0', async () => {
    const pool = await startServe(['--model-dir', modelDir, '--workers', '2']);
    const primary = pool.child.pid!;
    try {
      assert.match(pool.stderr(), new RegExp(`^serving 12 clips \\(\\d+ distinct ${REFERENCE_DIMENSION}-d ${REFERENCE_ENCODER} embeddings\\) with 2 workers at http://127\\.0\\.0\\.1:\\d+ \\(docs: `, 'm'));
      const workers = childrenOf(primary);
      assert.equal(workers.length, 2);
      const ask = async () => {
        const response = await fetch(pool.url + '/nearest?k=1', { method: 'POST', body: JSON.stringify({ embedding: tensorRow('tone-1.wav') }) });
        assert.equal(response.status, 200);
        return (await response.json()) as Match[];
      };
      assert.equal((await ask())[0].coub_id, 'tone-1.wav');
      const upload = await fetch(pool.url + '/nearest/audio?k=1', { method: 'POST', body: readFileSync(join(FIXTURES, 'media', 'sweep-1.ogg')) });
      assert.equal(upload.status, 200, 'a worker embeds uploads too');

      process.kill(workers[0], 'SIGKILL');
      await pool.stderrLine(/serves in its place/);
      const replaced = childrenOf(primary);
      assert.equal(replaced.length, 2);
      assert.ok(!replaced.includes(workers[0]));
      const replacement = replaced.find((pid) => pid !== workers[1])!;
      assert.match(pool.stderr(), new RegExp(`^worker ${workers[0]} exited \\(SIGKILL\\): starting another\nworker ${replacement} serves in its place$`, 'm'));
      for (let i = 0; i < 8; i++) assert.equal((await ask())[0].coub_id, 'tone-1.wav');

      const live = childrenOf(primary);
      pool.child.kill('SIGTERM');
      assert.equal(await pool.exited, 0, pool.stderr());
      assert.match(pool.stderr(), /SIGTERM: finishing requests in flight\nstopped\n$/);
      for (const pid of live) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
    } finally {
      pool.child.kill('SIGKILL');
    }
  });

  test('a port in use stops the workers and the primary with one reason, exit 1', async () => {
    const busy = await startServe(['--model-dir', modelDir]);
    try {
      const { port } = new URL(busy.url);
      const result = await runBoiler(['serve', '--model-dir', modelDir, '--port', port, '--workers', '2']);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `boiler: 127.0.0.1:${port} is in use by another program: choose another --port (0 picks a free one)\n`);
    } finally {
      busy.child.kill('SIGKILL');
    }
  });
});
