import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BOILER, runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';
import { fixtureWavs } from './helpers/wavs.js';

/** 12 fixture clips in batches of 2: six steps an epoch, so that a stop lands mid-epoch. */
const SMOKE = ['--preset', 'tiny', '--batch-size', '2', '--lr', '1e-3', '--seed', '7', '--image-every', '2'];

async function trainArgs(save: string): Promise<string[]> {
  return ['train', '--wav-dir', await fixtureWavs(), '--save-path', save, '--epochs', '2', ...SMOKE];
}

/** A training run whose stderr is collected; every step prints a progress line. */
function startTraining(args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BOILER, ...args], { env: { ...process.env, BOILER_PROGRESS_INTERVAL: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exit };
}

/** Resolves once stderr holds a line matching `pattern` (the run's own output is the clock, never a timer). */
function lineOnStderr(run: ReturnType<typeof startTraining>, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(run.stderr())) {
        run.child.stderr!.off('data', check);
        resolve();
      }
    };
    run.child.stderr!.on('data', check);
    run.exit.then(() => reject(new Error(`exited before ${pattern}: ${run.stderr()}`)), reject);
    check();
  });
}

function lossCurve(save: string): string[] {
  return readFileSync(join(save, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { step, loss } = JSON.parse(line) as { step: number; loss: number };
      return `${step}:${loss}`;
    });
}

test('Ctrl-C stops after the current step with a checkpoint that a rerun continues from, step for step', async () => {
  const whole = scratchDir('boiler-train-whole-');
  const wholeRun = await runBoiler(await trainArgs(whole));
  assert.equal(wholeRun.code, 0, wholeRun.stderr);

  const save = scratchDir('boiler-train-stopped-');
  const run = startTraining(await trainArgs(save));
  await lineOnStderr(run, /^epoch 1\/2: 2\/6 steps/m);
  run.child.kill('SIGINT');
  assert.equal(await run.exit, 130, run.stderr());
  const stopped = /^interrupted at step (\d+): saved in (\S+); run the same command again to resume from there$/m.exec(run.stderr());
  assert.ok(stopped, run.stderr());
  const step = Number(stopped[1]);
  assert.ok(step >= 2 && step < 12, `stopped at step ${step}`);
  assert.equal(lossCurve(save).length, step, 'every step taken is logged, none after the checkpoint');

  const rerun = await runBoiler(await trainArgs(save));
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`^resuming (at|after) .* from ${stopped[2].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.deepEqual(lossCurve(save), lossCurve(whole));
  assert.deepEqual(readFileSync(join(save, 'vqvae_002.safetensors')), readFileSync(join(whole, 'vqvae_002.safetensors')));
  assert.ok(!readdirSync(save).some((f) => f.includes('.partial.')), 'the partial checkpoint goes once the epoch is complete');
});

test('SIGTERM stops the same way, and a second signal exits at once with 130', async () => {
  const save = scratchDir('boiler-train-stopped-');
  const run = startTraining(await trainArgs(save));
  await lineOnStderr(run, /^epoch 1\/2: 1\/6 steps/m);
  run.child.kill('SIGTERM');
  await lineOnStderr(run, /^stopping after the current step \(SIGTERM again to stop at once\)$/m);
  run.child.kill('SIGINT');
  assert.equal(await run.exit, 130, run.stderr());
});

test('a reader that goes away (train | head) stops the run as SIGTERM does: a checkpoint, exit 130, no crash', async () => {
  const save = scratchDir('boiler-train-pipe-');
  const run = startTraining(await trainArgs(save));
  await lineOnStderr(run, /^epoch 1\/2: 2\/6 steps/m);
  // Closing our end of the pipe makes the next progress line fail with EPIPE in the child.
  run.child.stderr!.destroy();
  assert.equal(await run.exit, 130);
  // It stopped before the end of its 12 steps (epoch 2 is not complete), with a checkpoint of where it was.
  const files = readdirSync(save);
  assert.ok(!files.includes('vqvae_002.safetensors') && files.some((name) => /^vqvae_00\d(\.partial)?\.safetensors$/.test(name)), files.join(' '));
  const rerun = await runBoiler(await trainArgs(save));
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /resuming (at step \d+|after epoch 1)/);
});
