import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import wavefile from 'wavefile';
import { eventStep, readRecords } from '../src/train/tensorboard.js';
import { runBoiler } from './helpers/cli.js';
import { copiesOf } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';
import { fixtureWavs } from './helpers/wavs.js';

/** 12 fixture clips in batches of 4: three steps an epoch. */
const SMOKE = ['--preset', 'tiny', '--batch-size', '4', '--lr', '1e-3', '--seed', '7', '--image-every', '2'];

async function trainArgs(save: string, epochs: number): Promise<string[]> {
  return ['train', '--wav-dir', await fixtureWavs(), '--save-path', save, '--epochs', String(epochs), ...SMOKE];
}

function checkpoints(save: string): string[] {
  return readdirSync(save)
    .filter((f) => f.endsWith('.safetensors'))
    .sort();
}

/** metrics.jsonl as (step, loss) pairs, in file order. */
function metrics(save: string): [number, number][] {
  return readFileSync(join(save, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { step: number; loss: number })
    .map(({ step, loss }) => [step, loss]);
}

/** The steps of every TensorBoard event in `save` but the file headers, sorted. */
function eventSteps(save: string): number[] {
  return readdirSync(save)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .flatMap((f) => readRecords(readFileSync(join(save, f))).map(({ data }) => eventStep(data)))
    .filter((step) => step > 0)
    .sort((a, b) => a - b);
}

let uninterrupted: Promise<string> | undefined;
/** A 3-epoch run from scratch, the reference for the resumed ones. */
function wholeRun(): Promise<string> {
  uninterrupted ??= (async () => {
    const save = scratchDir('boiler-train-whole-');
    const result = await runBoiler(await trainArgs(save, 3));
    assert.equal(result.code, 0, result.stderr);
    return save;
  })();
  return uninterrupted;
}

test('--keep 2 --keep-epoch 1 keeps the two newest epochs and epoch 1, weights and optimiser state', async () => {
  const save = scratchDir('boiler-train-keep-');
  const result = await runBoiler([...(await trainArgs(save, 4)), '--keep', '2', '--keep-epoch', '1']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(checkpoints(save), [
    'vqvae_001.optim.safetensors',
    'vqvae_001.safetensors',
    'vqvae_003.optim.safetensors',
    'vqvae_003.safetensors',
    'vqvae_004.optim.safetensors',
    'vqvae_004.safetensors',
  ]);
  // Resumable from what is kept: one more epoch continues after epoch 4.
  const more = await runBoiler([...(await trainArgs(save, 5)), '--keep', '1']);
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stderr, /resuming after epoch 4/);
  assert.deepEqual(checkpoints(save), ['vqvae_005.optim.safetensors', 'vqvae_005.safetensors']);
});

test('--keep and --keep-epoch refuse values below 1 in one line', async () => {
  const save = scratchDir('boiler-train-keep-');
  for (const flags of [['--keep', '0'], ['--keep-epoch', '3,x']]) {
    const result = await runBoiler([...(await trainArgs(save, 1)), ...flags]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`${flags[0]} <[a-z]+>' argument .* is invalid`));
    if (flags[0] === '--keep') assert.match(result.stderr, /expected a whole number ≥ 1\./);
  }
});

for (const damaged of ['vqvae_002.safetensors', 'vqvae_002.optim.safetensors']) {
  test(`a truncated ${damaged} is passed over: the run resumes from epoch 1 and follows the uninterrupted curve`, async () => {
    const save = scratchDir('boiler-train-damaged-');
    assert.equal((await runBoiler([...(await trainArgs(save, 3)), '--max-steps', '6'])).code, 0);
    truncateSync(join(save, damaged), 1000);
    const resumed = await runBoiler(await trainArgs(save, 3));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /^vqvae_002\.safetensors is damaged \(.+\): resuming from vqvae_001\.safetensors$/m);
    // The steps of the damaged epoch are logged once, by the rerun: metrics and events as if never stopped.
    const whole = await wholeRun();
    assert.deepEqual(metrics(save), metrics(whole));
    assert.deepEqual(eventSteps(save), eventSteps(whole));
    assert.deepEqual(readFileSync(join(save, 'vqvae_003.safetensors')), readFileSync(join(whole, 'vqvae_003.safetensors')));
  });
}

test('a damaged checkpoint named with --load-path is refused in one line naming the good one beside it', async () => {
  const save = scratchDir('boiler-train-damaged-');
  assert.equal((await runBoiler(await trainArgs(save, 2))).code, 0);
  truncateSync(join(save, 'vqvae_002.safetensors'), 1000);
  const result = await runBoiler([...(await trainArgs(scratchDir('boiler-train-'), 3)), '--load-path', join(save, 'vqvae_002.safetensors')]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.trim().split('\n').filter((l) => !l.startsWith('backend:')).length, 1, result.stderr);
  assert.match(result.stderr, /vqvae_002\.safetensors is damaged \(.+\): pass --load-path .*vqvae_001\.safetensors instead/);
});

test('a rerun after a kill between the metrics and the checkpoint logs each step once', async () => {
  const save = scratchDir('boiler-train-relog-');
  assert.equal((await runBoiler([...(await trainArgs(save, 3)), '--max-steps', '6'])).code, 0);
  // What a run killed in the last step of epoch 2 leaves: its metrics and events, no checkpoint.
  for (const f of ['vqvae_002.safetensors', 'vqvae_002.optim.safetensors']) rmSync(join(save, f));
  const resumed = await runBoiler(await trainArgs(save, 3));
  assert.equal(resumed.code, 0, resumed.stderr);
  const whole = await wholeRun();
  assert.deepEqual(metrics(save), metrics(whole));
  assert.deepEqual(eventSteps(save), eventSteps(whole));
});

/** A wav that training must refuse: 44.1 kHz. */
function wrongRateWav(path: string): void {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, 44100, '16', new Int16Array(4410));
  writeFileSync(path, wav.toBuffer());
}

test('unreadable wavs are left out and listed at the end, with exit 3; the checkpoints are still written', async () => {
  const wavDir = scratchDir('boiler-train-badwavs-');
  for (const f of readdirSync(await fixtureWavs())) copyFileSync(join(await fixtureWavs(), f), join(wavDir, f));
  writeFileSync(join(wavDir, 'aa-garbage.wav'), 'not a wav at all');
  wrongRateWav(join(wavDir, 'zz-44k.wav'));
  const save = scratchDir('boiler-train-');
  const result = await runBoiler(['train', '--wav-dir', wavDir, '--save-path', save, '--epochs', '1', ...SMOKE]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /left out 2 of 14 wavs/);
  assert.match(result.stderr, /^ {2}aa-garbage\.wav: not a RIFF\/WAVE file$/m);
  assert.match(result.stderr, /^ {2}zz-44k\.wav: 44100 Hz/m);
  assert.deepEqual(checkpoints(save), ['vqvae_001.optim.safetensors', 'vqvae_001.safetensors']);
  assert.equal(metrics(save).length, 3, 'the 12 good clips: three steps');
});

test('a wav directory without a single usable wav is one clear error', async () => {
  const wavDir = scratchDir('boiler-train-badwavs-');
  writeFileSync(join(wavDir, 'garbage.wav'), 'not a wav at all');
  wrongRateWav(join(wavDir, 'loud.wav'));
  copiesOf(join(wavDir, 'loud.wav'), wavDir, 2, 'copy');
  const result = await runBoiler(['train', '--wav-dir', wavDir, '--save-path', scratchDir('boiler-train-'), '--epochs', '1', ...SMOKE]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.trim().split('\n').filter((l) => !l.startsWith('backend:')).length, 1, result.stderr);
  assert.match(result.stderr, /none of the 4 wavs in .* is usable \(copy0000\.wav: 44100 Hz.*\): convert/);
});
