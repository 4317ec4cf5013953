import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors } from '../src/model/safetensors.js';
import { BOILER, runBoiler } from './helpers/cli.js';
import { REFERENCE_CHECKPOINT } from './helpers/model-dir.js';
import { fixtureWavs } from './helpers/wavs.js';
import { scratchDir } from './helpers/scratch.js';

/** 12 fixture clips in batches of 4: three steps an epoch. */
const SMOKE = ['--preset', 'tiny', '--batch-size', '4', '--lr', '1e-3', '--seed', '7', '--image-every', '2'];

function lossCurve(saveDir: string): number[] {
  return readFileSync(join(saveDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { loss: number }).loss);
}

function weights(path: string): Map<string, number[]> {
  return new Map([...readSafetensors(path).tensors].map(([name, t]) => [name, [...(t.data as Float32Array)]]));
}

test('train --preset tiny writes per-epoch checkpoints, metrics and TensorBoard events', async () => {
  const wavs = await fixtureWavs();
  const save = scratchDir('boiler-train-');
  const result = await runBoiler(['train', '--wav-dir', wavs, '--save-path', save, '--epochs', '2', '--json', ...SMOKE]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^backend: (wasm|cpu|tensorflow)/m);
  const summary = JSON.parse(result.stdout) as { epochs: number; steps: number; checkpoint: string };
  assert.deepEqual([summary.epochs, summary.steps], [2, 6]);
  const files = readdirSync(save).sort();
  for (const f of ['vqvae_001.safetensors', 'vqvae_001.optim.safetensors', 'vqvae_002.safetensors', 'vqvae_002.optim.safetensors', 'metrics.jsonl']) {
    assert.ok(files.includes(f), `${f} in ${files}`);
  }
  assert.ok(files.some((f) => f.startsWith('events.out.tfevents.')));
  assert.ok(!files.some((f) => f.includes('.tmp-')), 'no temporary files left');
  const losses = lossCurve(save);
  assert.equal(losses.length, 6);
  assert.ok(losses.every(Number.isFinite));
  const checkpoint = readSafetensors(summary.checkpoint);
  assert.equal(checkpoint.metadata.preset, 'tiny');
  assert.ok(checkpoint.tensors.has('quantize_t.embedding0') && checkpoint.tensors.has('dec.5.bias'), 'PyTorch state_dict names');
});

test('a run stopped after an epoch and run again follows the uninterrupted loss curve exactly', async () => {
  const wavs = await fixtureWavs();
  const whole = scratchDir('boiler-train-');
  const split = scratchDir('boiler-train-');
  const args = (save: string) => ['train', '--wav-dir', wavs, '--save-path', save, '--epochs', '2', ...SMOKE];
  assert.equal((await runBoiler(args(whole))).code, 0);
  assert.equal((await runBoiler([...args(split), '--max-steps', '3'])).code, 0);
  assert.deepEqual(readdirSync(split).filter((f) => f.endsWith('.safetensors')).sort(), ['vqvae_001.optim.safetensors', 'vqvae_001.safetensors']);
  const resumed = await runBoiler(args(split));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming after epoch 1/);
  assert.deepEqual(lossCurve(split), lossCurve(whole));
  assert.deepEqual(weights(join(split, 'vqvae_002.safetensors')), weights(join(whole, 'vqvae_002.safetensors')));
});

test('killed with SIGKILL mid-run, training loses at most the epoch it was in', async () => {
  const wavs = await fixtureWavs();
  const save = scratchDir('boiler-train-');
  const args = [BOILER, 'train', '--wav-dir', wavs, '--save-path', save, '--epochs', '3', ...SMOKE];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  // Kill as soon as the first epoch's checkpoint exists, mid-way through the second.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(join(save, 'vqvae_001.safetensors'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
  });
  await new Promise((resolve) => child.on('exit', resolve));
  for (const f of readdirSync(save).filter((name) => name.endsWith('.safetensors'))) {
    readSafetensors(join(save, f)); // every checkpoint under its final name is complete
  }
  const rerun = await runBoiler(args.slice(1));
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.ok(existsSync(join(save, 'vqvae_003.safetensors')));
});

test('bad inputs get one clear line and exit 1', async () => {
  const wavs = await fixtureWavs();
  const empty = scratchDir('boiler-empty-');
  const save = scratchDir('boiler-train-');
  const cases: [string[], RegExp][] = [
    [['--wav-dir', empty], /no \.wav files in .*boiler convert/],
    [['--wav-dir', join(empty, 'missing')], /missing is not a directory: pass the directory that boiler convert wrote/],
    [['--wav-dir', wavs, '--batch-size', '64'], /has 12 clips, fewer than one batch of 64/],
    [['--wav-dir', wavs, '--load-path', join(empty, 'nope.safetensors')], /checkpoint .*nope\.safetensors does not exist/],
    // The checkpoint is checked before the clips are counted.
    [['--wav-dir', wavs, '--batch-size', '64', '--load-path', join(empty, 'nope.safetensors')], /checkpoint .*nope\.safetensors does not exist/],
    [['--wav-dir', wavs, '--epochs', '0'], /--epochs.*expected a whole number ≥ 1/],
    [['--wav-dir', wavs, '--n-mel-channels', '128'], /only 80 mel channels/],
  ];
  const corrupt = join(empty, 'corrupt.safetensors');
  writeFileSync(corrupt, 'garbage that is not a checkpoint');
  cases.push([['--wav-dir', wavs, '--load-path', corrupt], /corrupt\.safetensors is not a valid safetensors file/]);
  // The reference checkpoint is the tiny preset: loading it into the paper model must say so.
  cases.push([['--wav-dir', wavs, '--load-path', REFERENCE_CHECKPOINT, '--preset', 'paper'], /preset|shape/]);
  const aFile = join(empty, 'a-file');
  writeFileSync(aFile, '');
  cases.push([['--wav-dir', wavs, '--save-path', aFile], /^boiler: cannot write to output directory .*a-file \(EEXIST\): choose a writable --save-path$/m]);
  for (const [flags, message] of cases) {
    const result = await runBoiler(['train', '--save-path', save, ...SMOKE, ...flags]);
    assert.equal(result.code, 1, `${flags.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').filter((l) => !l.startsWith('backend:')).length, 1, result.stderr);
    assert.match(result.stderr, message);
  }
});
