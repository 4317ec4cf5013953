import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSettings } from '../src/train/settings.js';
import { runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';
import { fixtureWavs } from './helpers/wavs.js';

/** 12 fixture clips in batches of 4: three steps an epoch; no --preset, --lr or --schedule, so that auto picks them. */
async function trainArgs(save: string, ...more: string[]): Promise<string[]> {
  return ['train', '--wav-dir', await fixtureWavs(), '--save-path', save, '--epochs', '2', '--batch-size', '4', '--seed', '7', ...more];
}

test('--max-minutes stops at a step boundary with a checkpoint, exits 0, and the same command continues with a fresh budget', async () => {
  const save = scratchDir('boiler-train-budget-');
  // 60 ms: spent before the first step ends, so the run stops after step 1 or 2 (the timer fires between steps).
  const stopped = await runBoiler(await trainArgs(save, '--max-minutes', '0.001'));
  assert.equal(stopped.code, 0, stopped.stderr);
  const line = /^time budget of 0\.001 minutes reached at step (\d+): saved in (\S+); run the same command again to continue$/m.exec(stopped.stderr);
  assert.ok(line, stopped.stderr);
  assert.ok(Number(line[1]) >= 1 && Number(line[1]) < 6, `stopped at step ${line[1]}`);
  assert.match(stopped.stderr, /^preset tiny \(auto: (wasm|cpu|tensorflow) backend\), batch 4, lr 1e-3 constant$/m);

  const resumed = await runBoiler(await trainArgs(save, '--max-minutes', '60'));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(resumed.stderr.includes(`from ${line[2]}`), resumed.stderr);
  assert.match(resumed.stderr, /^preset tiny \(auto: the checkpoint’s\), batch 4, lr 1e-3 constant$/m);
  assert.match(resumed.stderr, /^done: 6 steps/m);
});

test('--max-minutes must be a positive number', async () => {
  for (const minutes of ['0', '-1', 'soon']) {
    const result = await runBoiler(await trainArgs(scratchDir('boiler-train-budget-'), '--max-minutes', minutes));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /--max-minutes.*expected a positive number/);
  }
});

test('--preset auto: the paper model and the original settings on a GPU, the tiny model and a constant rate on CPUs, a checkpoint’s own preset when resuming', () => {
  assert.deepEqual(resolveSettings({ preset: 'auto', backend: 'tensorflow-gpu' }), {
    preset: 'paper',
    batchSize: 128,
    lr: 1e-4,
    schedule: 'onecycle',
    summary: 'preset paper (auto: tensorflow-gpu backend), batch 128, lr 1e-4 onecycle',
  });
  for (const backend of ['tensorflow', 'wasm', 'cpu']) {
    assert.equal(resolveSettings({ preset: 'auto', backend }).summary, `preset tiny (auto: ${backend} backend), batch 16, lr 1e-3 constant`);
  }
  assert.equal(resolveSettings({ preset: 'auto', backend: 'tensorflow-gpu' }, 'tiny').preset, 'tiny');
  assert.equal(resolveSettings({ preset: 'auto', backend: 'wasm' }, 'paper').summary, 'preset paper (auto: the checkpoint’s), batch 128, lr 1e-4 onecycle');
  // Flags given win over the preset's defaults.
  assert.equal(resolveSettings({ preset: 'tiny', backend: 'wasm', batchSize: 4, lr: 3e-3, schedule: 'onecycle' }).summary, 'preset tiny, batch 4, lr 3e-3 onecycle');
});
