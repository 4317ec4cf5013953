import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadClip } from '../src/audio/clip.js';
import { DEFAULT_ENCODER } from '../src/model/encoders.js';
import { readManifest } from '../src/search/model-manifest.js';
import { modelFile } from '../src/search/model-dir.js';
import { ModelIndex } from '../src/search/model-index.js';
import { parseTensorLine } from '../src/search/projector.js';
import { BOILER, runBoiler } from './helpers/cli.js';
import { REFERENCE_CHECKPOINT, copiesOf, fixtureWavs, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';
import { watchStderr } from './helpers/stderr-lines.js';
import { REFERENCE } from './model/reference.js';

const root = scratchDir('boiler-index-');
/** MeanFreqTop's length for the reference checkpoint: its 16-d top latents over 23 frames. */
const MEAN_FREQ_DIMENSION = 16 * 23;
let wavDir: string;
before(async () => {
  wavDir = await fixtureWavs(root);
});

function scratch(): string {
  return mkdtempSync(join(root, 'run-'));
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

test('index writes the model directory beside the checkpoint, skips an unreadable wav (exit 3) and ends with the export line', async () => {
  const dir = scratch();
  const checkpoint = referenceCheckpointIn(dir);
  const wavs = join(dir, 'wavs');
  copiesOf(join(wavDir, 'tone-1.wav'), wavs, 1, 'tone-copy');
  for (const name of readdirSync(wavDir)) copyFileSync(join(wavDir, name), join(wavs, name));
  writeFileSync(join(wavs, 'broken.wav'), 'not a wav at all');

  const result = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, '--batch-size', '5']);
  assert.equal(result.code, 3, result.stderr);
  const modelDir = join(dir, 'save', 'vqvae_001', DEFAULT_ENCODER);
  assert.equal(result.stdout, `export BOILER_MODEL_DIR=${modelDir}\n`);
  assert.match(result.stderr, /^skipped broken\.wav: .*broken\.wav is not a readable wav file/m);
  assert.match(result.stderr, /^13 clips added, 0 already indexed, 1 failed; 13 clips \(\d+ distinct 608-d embeddings\)/m);

  for (const file of ['encoder.onnx', 'index.hnsw', 'manifest.json', 'projector_config.pbtxt', '00000/default/metadata.tsv', '00000/default/tensors.tsv']) {
    assert.ok(existsSync(join(modelDir, file)), file);
  }
  const manifest = readManifest(modelDir)!;
  assert.equal(manifest.encoder, 'PooledFirstLayerVQVAE');
  assert.equal(manifest.count, 13);
  // The tiny preset's first layer: 38 mel rows × 8 channels, mean and std.
  assert.equal(manifest.dimension, 608);
  assert.deepEqual([manifest.parameters.m, manifest.parameters.efConstruction, manifest.parameters.batchSize], [16, 200, 5]);
  assert.equal(manifest.checkpoint!.path, checkpoint);
  assert.match(manifest.checkpoint!.sha256, /^[0-9a-f]{64}$/);
  assert.match(manifest.libraries['onnxruntime-node'], /^\d+\.\d+/);
  // A permalink-like stem is a coub; the fixtures' names are not, so they stay file names.
  assert.deepEqual(lines(modelFile(modelDir, 'metadata')).slice(0, 3), ['beat-1.wav', 'beat-2.wav', 'beat-3.wav']);
  assert.equal(lines(modelFile(modelDir, 'tensors')).length, 13);
  // The copy of tone-1 has tone-1's embedding exactly: stored once in the graph.
  assert.ok(manifest.distinct < 13);
  const index = ModelIndex.open(modelDir);
  const copy = index.findClip('tone-copy0000.wav')!;
  assert.deepEqual(index.vectors.vectorOf(copy), index.vectors.vectorOf(index.findClip('tone-1.wav')!));
});

test('encoder.onnx runs in plain onnxruntime, without boiler, and gives the indexed embeddings', async () => {
  const dir = scratch();
  const checkpoint = referenceCheckpointIn(dir);
  const result = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', checkpoint, 'MeanFreqTopVQVAE']);
  assert.equal(result.code, 0, result.stderr);
  const modelDir = join(dir, 'save', 'vqvae_001', 'MeanFreqTopVQVAE');
  const session = await ort.InferenceSession.create(modelFile(modelDir, 'encoder'));
  const clips = ['noise-2.wav', 'sweep-3.wav'];
  const wav = new Float32Array(clips.length * 2 ** 17);
  clips.forEach((name, i) => wav.set(loadClip(join(wavDir, name)), i * 2 ** 17));
  const { embedding } = await session.run({ wav: new ort.Tensor('float32', wav, [clips.length, 1, 2 ** 17]) });
  assert.deepEqual(embedding.dims, [2, MEAN_FREQ_DIMENSION]);
  const names = lines(modelFile(modelDir, 'clips'));
  const tensors = lines(modelFile(modelDir, 'tensors'));
  clips.forEach((name, i) => {
    const indexed = parseTensorLine(tensors[names.indexOf(name)], MEAN_FREQ_DIMENSION, name);
    const direct = (embedding.data as Float32Array).subarray(i * MEAN_FREQ_DIMENSION, (i + 1) * MEAN_FREQ_DIMENSION);
    const worst = Math.max(...indexed.map((v, j) => Math.abs(v - direct[j])));
    assert.ok(worst < 1e-4, `${name}: largest difference ${worst}`);
  });
  await session.release();
});

test('indexing again adds only new clips, and a new coub-named wav gets its coub URL', async () => {
  const dir = scratch();
  const checkpoint = referenceCheckpointIn(dir);
  const wavs = join(dir, 'wavs');
  copiesOf(join(wavDir, 'beat-2.wav'), wavs, 3, 'beat-');
  const first = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint]);
  assert.equal(first.code, 0, first.stderr);
  const modelDir = join(dir, 'save', 'vqvae_001', DEFAULT_ENCODER);
  const tensorsTime = statSync(modelFile(modelDir, 'tensors')).mtimeMs;

  const again = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^0 clips added, 3 already indexed, 0 failed; 3 clips/m);
  assert.equal(statSync(modelFile(modelDir, 'tensors')).mtimeMs, tensorsTime, 'nothing rewritten');

  copyFileSync(join(wavDir, 'sweep-1.wav'), join(wavs, '1dnm2b.wav'));
  const more = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, '--json']);
  assert.equal(more.code, 0, more.stderr);
  const summary = JSON.parse(more.stdout) as { added: number; already: number; count: number; modelDir: string };
  assert.deepEqual([summary.added, summary.already, summary.count, summary.modelDir], [1, 3, 4, modelDir]);
  assert.deepEqual(lines(modelFile(modelDir, 'metadata')), ['beat-0000.wav', 'beat-0001.wav', 'beat-0002.wav', 'https://coub.com/view/1dnm2b']);
});

test('a run killed with SIGKILL mid-way keeps what it committed, and a rerun finishes the rest', async () => {
  const dir = scratch();
  const checkpoint = referenceCheckpointIn(dir);
  const wavs = join(dir, 'wavs');
  const names = [...copiesOf(join(wavDir, 'noise-1.wav'), wavs, 40, 'noise-'), ...copiesOf(join(wavDir, 'tone-3.wav'), wavs, 40, 'tone-')];
  // The bottom codes tell noise from tone: the reference checkpoint gives every clip one top code.
  const modelDir = join(dir, 'save', 'vqvae_001', 'BagBottomVQVAE');
  const args = [BOILER, 'index', '--wav-dir', wavs, '--checkpoint', checkpoint, '--batch-size', '4', 'BagBottomVQVAE'];
  // A commit after every batch, and a progress line for every clip.
  const env = { BOILER_COMMIT_INTERVAL: '0', BOILER_PROGRESS_INTERVAL: '0' };
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Killed at the first progress line after the first commit: 70-odd clips from the end.
  await watchStderr(child).line((line) => /^index: \d+\/80 clips/.test(line) && existsSync(modelFile(modelDir, 'manifest')));
  child.kill('SIGKILL');
  await exited;

  const committed = readManifest(modelDir)!.count;
  assert.ok(committed > 0 && committed < names.length, `killed mid-way (${committed} of ${names.length} committed)`);
  assert.equal(ModelIndex.open(modelDir).clips.length, committed, 'what was committed opens for search');

  // What a kill during a write leaves (a pid above pid_max: surely not running).
  writeFileSync(join(modelDir, '00000', 'default', 'tensors.tsv.tmp-99999999'), 'half a file');
  const rerun = await runBoiler(args.slice(1), { env });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`^${names.length - committed} clips added, ${committed} already indexed, 0 failed; ${names.length} clips`, 'm'));
  assert.deepEqual(lines(modelFile(modelDir, 'clips')), names);
  assert.deepEqual(
    [...readdirSync(modelDir), ...readdirSync(join(modelDir, '00000', 'default'))].filter((n) => n.includes('.tmp-')),
    [],
    "the killed run's temporary files are gone",
  );
  const index = ModelIndex.open(modelDir);
  assert.equal(index.manifest.distinct, 2, 'two sounds, each stored once');
  const nearest = index.nearest(index.vectors.vectorOf(index.findClip('noise-0007.wav')!), 40);
  assert.ok(nearest.every((m) => m.coubId.startsWith('noise-') && m.distance === 0));
});

test('bad input is one line and exit 1: no wav dir, an empty one, no checkpoint, a checkpoint that is not a VQ-VAE2, another checkpoint for the same directory', async () => {
  const dir = scratch();
  const checkpoint = referenceCheckpointIn(dir);
  const noDir = await runBoiler(['index', '--wav-dir', join(dir, 'nope'), '--checkpoint', checkpoint]);
  assert.equal(noDir.code, 1);
  assert.match(noDir.stderr, /^boiler: wav directory .*nope does not exist: pass --wav-dir DIR/);
  const noCheckpoint = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', join(dir, 'vqvae_404.safetensors')]);
  assert.equal(noCheckpoint.code, 1);
  assert.match(noCheckpoint.stderr, /^boiler: cannot read checkpoint .*vqvae_404\.safetensors \(ENOENT\)/);
  const notVqvae = join(dir, 'save', 'vqvae_002.safetensors');
  copyFileSync(join(REFERENCE, 'expected.safetensors'), notVqvae);
  const wrong = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', notVqvae]);
  assert.equal(wrong.code, 1);
  const emptyDir = join(dir, 'no-wavs');
  mkdirSync(emptyDir);
  const empty = await runBoiler(['index', '--wav-dir', emptyDir, '--checkpoint', checkpoint]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^boiler: no \.wav files in .*no-wavs: convert media into it with boiler convert/);
  assert.equal(existsSync(join(dir, 'save', 'vqvae_001')), false, 'no model directory for nothing');
  for (const result of [noDir, noCheckpoint, wrong, empty]) assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);

  const ok = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', checkpoint]);
  assert.equal(ok.code, 0, ok.stderr);
  // Retrained weights under the same name must not be mixed into the old embeddings.
  rmSync(checkpoint);
  const retrained = readFileSync(REFERENCE_CHECKPOINT);
  retrained[retrained.length - 1] ^= 1;
  writeFileSync(checkpoint, retrained);
  const mixed = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', checkpoint]);
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /was indexed with another checkpoint .*: remove it/);

  const badEncoder = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', checkpoint, 'Bag']);
  assert.equal(badEncoder.code, 1);
  assert.match(badEncoder.stderr, /Allowed choices are BagTopVQVAE, BagBottomVQVAE, MeanFreqTopVQVAE/);
});
