import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import wavefile from 'wavefile';
import { CLIP_SAMPLES, clipWindows, fitClip, readWav, SAMPLE_RATE } from '../src/audio/clip.js';
import { mfccOfClips } from '../src/eval/mfcc.js';
import { embedClips } from '../src/search/clip-embedder.js';
import { readManifest } from '../src/search/model-manifest.js';
import { runBoiler } from './helpers/cli.js';
import { fixtureWavs } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';
import { startServe, type ServeProcess } from './helpers/serve.js';

const root = scratchDir('boiler-whole-clip-');
let wavs: string;
/** 20 s: two whole windows and a 3.6 s remainder. */
let longWav: string;
let server: ServeProcess | undefined;

function writeWav(path: string, samples: Float32Array): void {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, SAMPLE_RATE, '16', Int16Array.from(samples, (v) => Math.round(v * 32767)));
  writeFileSync(path, wav.toBuffer());
}

before(async () => {
  wavs = await fixtureWavs(root);
  const parts = ['tone-1.wav', 'noise-1.wav', 'beat-1.wav', 'sweep-1.wav'].map((file) => readWav(join(wavs, file)));
  const long = new Float32Array(20 * SAMPLE_RATE);
  for (let at = 0, i = 0; at < long.length; i++) {
    const part = parts[i % parts.length].subarray(0, long.length - at);
    long.set(part, at);
    at += part.length;
  }
  longWav = join(root, 'long.wav');
  writeWav(longWav, long);
  writeWav(join(wavs, 'long.wav'), long);
});

after(() => server?.child.kill('SIGTERM'));

test('clipWindows: successive windows, a remainder of 1 s or more repeated as a short clip, a shorter one left out', () => {
  const samples = Float32Array.from({ length: 2 * CLIP_SAMPLES + SAMPLE_RATE }, (_, i) => Math.sin(i / 7) * (1 + (i % 5)));
  const whole = clipWindows(samples, 'whole');
  assert.equal(whole.windows.length, 3);
  assert.deepEqual(whole.windows[2], fitClip(samples.subarray(2 * CLIP_SAMPLES)));
  assert.equal(whole.seconds, samples.length / SAMPLE_RATE);
  const shortRemainder = clipWindows(samples.subarray(0, 2 * CLIP_SAMPLES + SAMPLE_RATE - 1), 'whole');
  assert.equal(shortRemainder.windows.length, 2);
  assert.equal(shortRemainder.seconds, (2 * CLIP_SAMPLES) / SAMPLE_RATE);
  const first = clipWindows(samples, 'first');
  assert.deepEqual(first.windows, [fitClip(samples)]);
  assert.equal(first.seconds, CLIP_SAMPLES / SAMPLE_RATE);
  assert.equal(clipWindows(samples.subarray(0, 100), 'whole').seconds, 100 / SAMPLE_RATE);
});

test('a clip\'s embedding is the mean of its windows\' embeddings, windows of several clips in one encoder run', async () => {
  const long = clipWindows(readWav(longWav), 'whole');
  const short = clipWindows(readWav(join(wavs, 'tone-2.wav')), 'whole');
  const runs: number[] = [];
  const encoder = { dimension: 40, embed: async (w: Float32Array, count: number) => (runs.push(count), mfccOfClips(w, count)) };
  const [pooled, single] = await embedClips(encoder, [long, short]);
  assert.deepEqual(runs, [4]);
  const rows = long.windows.map((w) => mfccOfClips(w, 1));
  pooled.vector.forEach((v, d) => assert.ok(Math.abs(v - (rows[0][d] + rows[1][d] + rows[2][d]) / 3) < 1e-5, `dimension ${d}`));
  assert.deepEqual(single.vector, mfccOfClips(short.windows[0], 1));
  assert.deepEqual([pooled.windows, single.windows], [3, 1]);
});

test('index embeds whole clips by default and --first-window the first 8.2 s; query and serve follow the index and say how much audio they used', async () => {
  const whole = await runBoiler(['index', '--wav-dir', wavs, 'mfcc']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(readManifest(`${wavs}-mfcc`)!.window, 'whole');
  const query = await runBoiler(['query', '--model-dir', `${wavs}-mfcc`, '-k', '1', longWav]);
  assert.equal(query.code, 0, query.stderr);
  assert.match(query.stdout, new RegExp(`^${longWav} \\(20\\.0 s in 3 windows\\):\\n +1 +0\\.0000 +long\\.wav$`, 'm'));

  const firstDir = join(root, 'first');
  mkdirSync(firstDir);
  const copy = join(firstDir, 'wav');
  mkdirSync(copy);
  writeWav(join(copy, 'long.wav'), readWav(longWav));
  writeWav(join(copy, 'tone.wav'), readWav(join(wavs, 'tone-1.wav')));
  const first = await runBoiler(['index', '--wav-dir', copy, 'mfcc', '--first-window']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(readManifest(`${copy}-mfcc`)!.window, 'first');
  const firstQuery = await runBoiler(['query', '--model-dir', `${copy}-mfcc`, '--json', longWav]);
  assert.equal(firstQuery.code, 0, firstQuery.stderr);
  const [answer] = JSON.parse(firstQuery.stdout) as { audio_seconds: number; windows: number; neighbours: { distance: number; coub_id: string }[] }[];
  assert.deepEqual([answer.audio_seconds, answer.windows, answer.neighbours[0].coub_id], [CLIP_SAMPLES / SAMPLE_RATE, 1, 'long.wav']);

  server = await startServe(['--model-dir', `${wavs}-mfcc`]);
  const url = new URL('/nearest/audio?k=1', server.url);
  const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const post = request(url, { method: 'POST' }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ headers: response.headers, body: text }));
    });
    post.on('error', reject);
    post.end(readWavBytes(longWav));
  });
  assert.equal(headers['x-boiler-audio-seconds'], '20.000');
  const matches = JSON.parse(body) as { coub_id: string; distance: number }[];
  assert.deepEqual(Object.keys(matches[0]).sort(), ['audio', 'category', 'coub', 'coub_id', 'distance', 'rank', 'title', 'url']);
  assert.equal(matches[0].coub_id, 'long.wav');
});

function readWavBytes(path: string): Buffer {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, SAMPLE_RATE, '16', Int16Array.from(readWav(path), (v) => Math.round(v * 32768)));
  return Buffer.from(wav.toBuffer());
}
