import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src/model/backend.js';
import { targetNorm } from '../src/model/quantize.js';
import { createVQVAE2 } from '../src/model/vqvae.js';
import { Adam } from '../src/train/adam.js';
import { CodebookHealth } from '../src/train/codebook-health.js';
import type { StepMetrics } from '../src/train/trainer.js';
import { runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';
import { fixtureWavs } from './helpers/wavs.js';

/** 12 fixture clips in batches of 4: three steps an epoch. */
async function trainArgs(save: string, ...more: string[]): Promise<string[]> {
  return ['train', '--wav-dir', await fixtureWavs(), '--save-path', save, '--preset', 'tiny', '--batch-size', '4', '--seed', '7', ...more];
}

function metrics(save: string): StepMetrics[] {
  return readFileSync(join(save, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as StepMetrics);
}

test('the original codebooks use one top code from the first step and are warned about; healthy ones start from the data', async () => {
  const original = scratchDir('boiler-codebook-');
  const collapsed = await runBoiler(await trainArgs(original, '--epochs', '2', '--codebook', 'original'));
  assert.equal(collapsed.code, 0, collapsed.stderr);
  const steps = metrics(original);
  assert.equal(steps.length, 6);
  for (const m of steps) {
    assert.ok(m.codesTop <= 2, `top codes at step ${m.step}: ${m.codesTop}`);
    assert.ok(m.codesBottom >= 1 && m.codesBottom <= 512, `bottom codes ${m.codesBottom}`);
    assert.ok(Math.abs(m.perplexityTop - Math.exp(m.entropyTop)) < 1e-9 && Math.abs(m.perplexityBottom - Math.exp(m.entropyBottom)) < 1e-9);
  }
  // The top level collapses from the start, warned about once; in so few steps the bottom level may too.
  const warnings = collapsed.stderr.split('\n').filter((line) => line.startsWith('warning: the top codebook'));
  assert.equal(warnings.length, 1, collapsed.stderr);
  assert.match(
    warnings[0],
    /^warning: the top codebook has collapsed to [12] of 64 codes \(step 5\): its codes no longer tell clips apart; train with --codebook healthy \(the default\), which sets the codes from the data and restarts unused ones$/,
  );
  assert.match(collapsed.stderr, /codes [12]\/64 · \d+\/512/);

  const healthy = scratchDir('boiler-codebook-');
  const started = await runBoiler(await trainArgs(healthy, '--epochs', '1', '--max-steps', '1'));
  assert.equal(started.code, 0, started.stderr);
  assert.ok(metrics(healthy)[0].codesTop > 10, `top codes at step 1: ${metrics(healthy)[0].codesTop}`);
});

test('a dead-code restart moves unused codes onto encoder outputs at the quantiser’s norm and forgets their Adam moments', async () => {
  await chooseBackend('cpu');
  const model = createVQVAE2('tiny', 3);
  const adam = new Adam(model.variables);
  // One step with gradients of ones, so that every moment is non-zero.
  adam.apply(Object.fromEntries([...model.variables].map(([name, v]) => [name, tf.onesLike(v)])), 1e-3, 0.9);
  model.renormaliseCodebooks();
  const health = new CodebookHealth(model, adam, 3);
  const mel = tf.randomNormal([2, 80, 256], 0, 1, 'float32', 5) as tf.Tensor3D;
  const top = model.codebook('top');
  const before = top.dataSync().slice();
  const usedCode = 7;
  health.observe('top', [usedCode], 10);
  health.observe('bottom', [...Array(512).keys()], 10);

  assert.deepEqual(health.restartDeadCodes(mel, 9), { top: 0, bottom: 0 }, 'restarts only every 10 steps');
  assert.deepEqual(health.restartDeadCodes(mel, 10), { top: 63, bottom: 0 });
  const after = top.dataSync();
  const dim = model.config.embedDim;
  const row = (data: ArrayLike<number>, code: number) => Array.from(data).slice(code * dim, (code + 1) * dim);
  assert.deepEqual(row(after, usedCode), row(before, usedCode), 'a used code stays');
  const state = adam.state();
  const moments = (key: string) => state.get(key)!.dataSync();
  for (let code = 0; code < 64; code++) {
    assert.ok(Math.abs(Math.hypot(...row(after, code)) - targetNorm(dim)) < 1e-5, `code ${code} at the norm`);
    if (code === usedCode) continue;
    assert.notDeepEqual(row(after, code), row(before, code), `code ${code} moved`);
    for (const key of ['exp_avg.quantize_t.embedding0', 'exp_avg_sq.quantize_t.embedding0']) {
      assert.ok(row(moments(key), code).every((x) => x === 0), `${key} of code ${code} forgotten`);
    }
  }
  assert.ok(row(moments('exp_avg.quantize_t.embedding0'), usedCode).every((x) => x !== 0), 'the used code keeps its momentum');
  assert.ok(moments('exp_avg.quantize_b.embedding0').every((x) => x !== 0), 'the bottom codebook, all used, keeps its momentum');
  tf.dispose(mel);
  adam.dispose();
  model.dispose();
});
