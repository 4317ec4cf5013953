import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { modelFile } from '../src/search/model-dir.js';
import { FIXTURES, runBoiler } from './helpers/cli.js';
import { referenceModelDir } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-query-');
let modelDir: string;
before(async () => {
  modelDir = await referenceModelDir(root);
});

interface JsonAnswer {
  query: string;
  error?: string;
  neighbours?: { rank: number; distance: number; coub_id: string; url: string }[];
}

async function queryJson(args: string[]): Promise<{ code: number; answers: JsonAnswer[]; stderr: string }> {
  const result = await runBoiler(['query', '--model-dir', modelDir, '--json', ...args]);
  return { code: result.code, answers: JSON.parse(result.stdout || '[]') as JsonAnswer[], stderr: result.stderr };
}

test('a media file that was indexed finds itself at distance 0, whatever its container (mp4 with video, ogg)', async () => {
  // The reference weights give several fixtures the same code histogram, so ask for all 12 clips.
  const { code, answers, stderr } = await queryJson([join(FIXTURES, 'media', 'beat-2.mp4'), join(FIXTURES, 'media', 'sweep-1.ogg'), '-k', '12']);
  assert.equal(code, 0, stderr);
  assert.equal(answers.length, 2);
  for (const [answer, name] of [[answers[0], 'beat-2.wav'], [answers[1], 'sweep-1.wav']] as const) {
    assert.deepEqual(
      answer.neighbours!.map((n) => n.rank),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    const self = answer.neighbours!.find((n) => n.coub_id === name);
    assert.ok(self && self.distance < 1e-6, `${name} at distance 0 from itself: ${JSON.stringify(answer.neighbours)}`);
    assert.equal(answer.neighbours![0].distance, self.distance);
  }
});

test('prints rank, distance and the coub url per line under each query', async () => {
  const result = await runBoiler(['query', join(FIXTURES, 'media', 'tone-2.mp3'), '-k', '2'], { env: { BOILER_MODEL_DIR: modelDir } });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `${join(FIXTURES, 'media', 'tone-2.mp3')} (6.0 s in 1 window):`);
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^ {3}1 {2}0\.0000 {2}tone-\d\.wav$/);
  assert.match(lines[2], /^ {3}2 {2}\d\.\d{4} {2}\S+\.wav$/);
});

test('a file ffmpeg cannot decode is reported on stderr and the others still answered (exit 3); only bad files: exit 1', async () => {
  const mixed = await queryJson([join(FIXTURES, 'bad', 'not-media.mp3'), join(FIXTURES, 'media', 'noise-1.m4a')]);
  assert.equal(mixed.code, 3);
  assert.match(mixed.answers[0].error!, /\S/);
  assert.equal(mixed.answers[1].neighbours!.length, 10);
  assert.match(mixed.stderr, /not-media\.mp3: /);
  const bad = await runBoiler(['query', '--model-dir', modelDir, join(FIXTURES, 'bad', 'video-only.mp4'), join(root, 'missing.mp3')]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '', 'no results, and no errors among them');
  assert.match(bad.stderr, /video-only\.mp4: no audio stream/);
  assert.match(bad.stderr, /missing\.mp3 does not exist/);
});

test('--id searches by an indexed clip and leaves that clip out, keeping its exact duplicates', async () => {
  const { code, answers, stderr } = await queryJson(['--id', 'tone-1.wav', '-k', '11']);
  assert.equal(code, 0, stderr);
  const neighbours = answers[0].neighbours!;
  assert.equal(neighbours.length, 11, 'every other clip');
  assert.ok(!neighbours.some((n) => n.coub_id === 'tone-1.wav'));
  const all = await queryJson(['--embedding', embeddingOf('tone-1.wav'), '-k', '12']);
  const duplicates = all.answers[0].neighbours!.filter((n) => n.distance === 0 && n.coub_id !== 'tone-1.wav').map((n) => n.coub_id);
  assert.deepEqual(
    neighbours.filter((n) => n.distance === 0).map((n) => n.coub_id),
    duplicates,
  );
  const unknown = await runBoiler(['query', '--model-dir', modelDir, '--id', 'zzzz99']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /zzzz99 is not in .*--id takes a coub permalink/);
});

function embeddingOf(file: string): string {
  const names = readFileSync(modelFile(modelDir, 'clips'), 'utf8').split('\n');
  const row = readFileSync(modelFile(modelDir, 'tensors'), 'utf8').split('\n')[names.indexOf(file)];
  return JSON.stringify(row.split('\t').map(Number));
}

test('--embedding takes the JSON the API takes; a wrong dimension, bad JSON or a zero vector is one line, exit 1', async () => {
  const { code, answers } = await queryJson(['--embedding', embeddingOf('noise-3.wav'), '-k', '1']);
  assert.equal(code, 0);
  assert.equal(answers[0].neighbours![0].distance, 0);
  const asObject = await queryJson(['--embedding', `{"embedding": ${embeddingOf('noise-3.wav')}}`, '-k', '1']);
  assert.deepEqual(asObject.answers, answers);
  for (const [embedding, message] of [
    ['[1, 2, 3]', /has 3 numbers but this index holds 512-dimensional vectors/],
    ['[1, 2', /--embedding is not valid JSON/],
    [JSON.stringify(new Array(512).fill(0)), /all zeros/],
  ] as const) {
    const result = await runBoiler(['query', '--model-dir', modelDir, '--embedding', embedding]);
    assert.equal(result.code, 1, embedding);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, message);
  }
});

test('query needs exactly one source (exit 2), a model directory and a k in range (exit 1)', async () => {
  const none = await runBoiler(['query', '--model-dir', modelDir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /exactly one of FILE\.\.\., --id PERMALINK or --embedding JSON \(got none\)/);
  const two = await runBoiler(['query', '--model-dir', modelDir, '--id', 'tone-1.wav', join(FIXTURES, 'media', 'tone-1.mp3')]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /got FILE and --id/);
  const noDir = await runBoiler(['query', '--id', 'x'], { env: { BOILER_MODEL_DIR: '' } });
  assert.equal(noDir.code, 1);
  assert.match(noDir.stderr, /pass --model-dir DIR or set BOILER_MODEL_DIR/);
  const badK = await runBoiler(['query', '--model-dir', modelDir, '--id', 'tone-1.wav', '-k', '0']);
  assert.equal(badK.code, 1);
  assert.match(badK.stderr, /expected an integer from 1 to 1000/);
});
