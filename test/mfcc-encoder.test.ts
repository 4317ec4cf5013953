import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { CLIP_SAMPLES, loadClip } from '../src/audio/clip.js';
import { mfccOfClips } from '../src/eval/mfcc.js';
import type { EvaluationReport } from '../src/eval/evaluate.js';
import { buildMfccOnnx, MFCC_DIMENSION } from '../src/model/onnx/mfcc-graph.js';
import { OnnxEncoder } from '../src/model/onnx/runtime.js';
import { readManifest } from '../src/search/model-manifest.js';
import { runBoiler } from './helpers/cli.js';
import { fixtureWavs, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-mfcc-');
let wavDir: string;
let modelDir: string;
before(async () => {
  wavDir = await fixtureWavs(root);
  modelDir = `${wavDir}-mfcc`;
});

type Answer = { query: string; audio_seconds: number; windows: number; neighbours: { coub_id: string; distance: number }[] }[];

test('encoder.onnx of mfcc computes the MFCC statistics of src/eval/mfcc.ts (within 1e-4 relative: the float32 front end\'s own error)', async () => {
  const files = readdirSync(wavDir).sort();
  const wavs = new Float32Array(files.length * CLIP_SAMPLES);
  files.forEach((file, i) => wavs.set(loadClip(join(wavDir, file)), i * CLIP_SAMPLES));
  const encoder = await OnnxEncoder.load(buildMfccOnnx());
  try {
    assert.equal(encoder.dimension, MFCC_DIMENSION);
    const onnx = await encoder.embed(wavs, files.length);
    const js = mfccOfClips(wavs, files.length);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(onnx[i] - js[i]) / (1 + Math.abs(js[i])));
    assert.ok(worst < 1e-4, `largest difference ${worst} (relative to 1 + |value|)`);
  } finally {
    await encoder.close();
  }
});

test('index … mfcc needs no checkpoint: a model directory beside the wavs that query answers on onnxruntime and TensorFlow.js alike', async () => {
  const indexed = await runBoiler(['index', '--wav-dir', wavDir, 'mfcc']);
  assert.equal(indexed.code, 0, indexed.stderr);
  assert.equal(indexed.stdout, `export BOILER_MODEL_DIR=${modelDir}\n`);
  assert.match(indexed.stderr, /^12 clips added, 0 already indexed, 0 failed; 12 clips \(12 distinct 40-d embeddings\)/m);
  assert.doesNotMatch(indexed.stderr, /warning/);
  const manifest = readManifest(modelDir)!;
  assert.deepEqual([manifest.encoder, manifest.checkpoint, manifest.standardise, manifest.window, manifest.wavDir], ['mfcc', null, true, 'whole', wavDir]);

  const query = (env: NodeJS.ProcessEnv) => runBoiler(['query', '--model-dir', modelDir, '--json', '-k', '12', join(wavDir, 'beat-2.wav')], { env });
  const [onnx, tfjs] = [await query({}), await query({ BOILER_ENCODER_RUNTIME: 'tfjs' })];
  assert.equal(onnx.code, 0, onnx.stderr);
  assert.equal(tfjs.code, 0, tfjs.stderr);
  const [a, b] = [(JSON.parse(onnx.stdout) as Answer)[0], (JSON.parse(tfjs.stdout) as Answer)[0]];
  assert.equal(a.neighbours[0].coub_id, 'beat-2.wav');
  assert.ok(a.neighbours[0].distance < 1e-6, JSON.stringify(a.neighbours[0]));
  assert.deepEqual(b.neighbours.map((n) => n.coub_id).slice(0, 3), a.neighbours.map((n) => n.coub_id).slice(0, 3));
  b.neighbours.forEach((n, i) => assert.ok(Math.abs(n.distance - a.neighbours[i].distance) < 1e-3, `${n.coub_id}: ${n.distance} vs ${a.neighbours[i].distance}`));
});

test('a checkpoint with mfcc, or no checkpoint for a trained encoder, is a one-line usage error', async () => {
  const withCheckpoint = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', referenceCheckpointIn(join(root, 'ckpt')), 'mfcc']);
  assert.equal(withCheckpoint.code, 2);
  assert.equal(withCheckpoint.stderr, 'boiler: the mfcc encoder is computed, not trained: leave out --checkpoint\n');
  const without = await runBoiler(['index', '--wav-dir', wavDir, 'MeanFreqTopVQVAE']);
  assert.equal(without.code, 2);
  assert.match(without.stderr, /^boiler: MeanFreqTopVQVAE needs trained weights: pass --checkpoint SAVE\/vqvae_NNN\.safetensors \(or index with mfcc, which needs none\)\n$/);
});

test('eval finds the indexed wavs in the manifest, and the mfcc model directory scores as the mfcc baseline', async () => {
  const indexed = await runBoiler(['index', '--wav-dir', wavDir, 'mfcc']);
  assert.equal(indexed.code, 0, indexed.stderr);
  const labels = join(root, 'kinds.csv');
  writeFileSync(labels, readdirSync(wavDir).map((file) => `${file},${file.split('-')[0]}`).join('\n') + '\n');
  const result = await runBoiler(['eval', '--model-dir', modelDir, '--labels', labels, '-k', '2', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as EvaluationReport;
  assert.deepEqual(Object.keys(report.scores), ['model', 'random', 'mfcc']);
  assert.equal(report.scores.model.precisionAtK, report.scores.mfcc.precisionAtK);
  assert.equal(report.scores.model.meanAveragePrecision, report.scores.mfcc.meanAveragePrecision);
});

test('index warns when most clips share one embedding (the reference checkpoint\'s collapsed top codes), and not for distinct ones', async () => {
  const dir = join(root, 'collapsed');
  mkdirSync(join(dir, 'wav'), { recursive: true });
  for (const file of readdirSync(wavDir)) copyFileSync(join(wavDir, file), join(dir, 'wav', file));
  const result = await runBoiler(['index', '--wav-dir', join(dir, 'wav'), '--checkpoint', referenceCheckpointIn(dir), 'BagTopVQVAE']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /^warning: only 1 distinct embedding for 12 clips: this encoder does not tell these clips apart .*another encoder \(mfcc needs no training/m,
  );
});
