import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { MAX_NAME_BYTES, removeStaleTemporaries, temporaryName, writeFileAtomic } from '../src/atomic-file.js';
import { runConversion } from '../src/audio/convert-directory.js';
import { readWavHeader } from '../src/audio/wav-header.js';
import { FIXTURES, runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

const MEDIA = join(FIXTURES, 'media');

function scratch(): string {
  return scratchDir('boiler-convert-failures-');
}

/** A copy of fixtures/media with `extra` files added: name → fixture it copies. */
function mediaWith(extra: Record<string, string>): string {
  const input = scratch();
  for (const name of readdirSync(MEDIA)) copyFileSync(join(MEDIA, name), join(input, name));
  for (const [name, fixture] of Object.entries(extra)) copyFileSync(join(MEDIA, fixture), join(input, name));
  return input;
}

const bytes = (name: string) => Buffer.byteLength(name);

test('an input whose name is 250 bytes converts: its temporary name is kept under the limit', async () => {
  // 'ü' takes two bytes: the cut must not split a character.
  const long = `${'ü'.repeat(40)}${'x'.repeat(166)}.mp3`;
  assert.equal(bytes(long), 250);
  const input = mediaWith({ [long]: 'tone-1.mp3' });
  const out = scratch();
  const result = await runBoiler(['convert', '--in', input, '--out', out, '--jobs', '2']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^13 converted, 0 up to date, 0 failed/m);
  const wav = long.replace(/\.mp3$/, '.wav');
  assert.ok(Math.abs(readWavHeader(join(out, wav)).seconds - 3.5) <= 0.02);
  assert.deepEqual(readdirSync(out).filter((n) => !n.endsWith('.wav')), [], 'no temporary files left');
  const again = await runBoiler(['convert', '--in', input, '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^0 converted, 13 up to date, 0 failed/m);
});

test('an output that cannot be written (a directory in the way) is one failed item; the rest convert; exit 3', async () => {
  const out = scratch();
  mkdirSync(join(out, 'tone-2.wav'));
  const result = await runBoiler(['convert', '--in', MEDIA, '--out', out, '--jobs', '2']);
  assert.equal(result.code, 3, result.stderr);
  assert.deepEqual(
    result.stderr.split('\n').filter((l) => l.startsWith('failed: ')),
    ['failed: tone-2.mp3: cannot write tone-2.wav: a directory is in the way'],
  );
  assert.match(result.stderr, /^11 converted, 0 up to date, 1 failed, 0 name clashes in /m);
  assert.doesNotMatch(result.stderr, /unexpected error/);
  assert.equal(readdirSync(out).filter((n) => n.endsWith('.wav')).length, 12);
  assert.deepEqual(readdirSync(join(out, 'tone-2.wav')), []);
  assert.deepEqual(readdirSync(out).filter((n) => !n.endsWith('.wav')), [], 'no temporary files left');
});

test('an output name longer than a file name may be is one failed item with the reason; the others convert', async () => {
  const out = scratch();
  const tooLong = `${'é'.repeat(150)}.wav`;
  assert.ok(bytes(tooLong) > MAX_NAME_BYTES);
  const conversion = (source: string, output: string) => ({ source, input: join(MEDIA, source), output: join(out, output) });
  const summary = await runConversion(
    {
      outputDir: out,
      rate: 16000,
      pending: [conversion('tone-1.mp3', tooLong), conversion('tone-2.mp3', 'tone-2.wav'), conversion('noise-1.m4a', 'noise-1.wav')],
      upToDate: [],
      clashes: [],
    },
    { jobs: 1 },
  );
  assert.deepEqual(summary.converted.map((c) => c.source), ['noise-1.m4a', 'tone-2.mp3']);
  assert.deepEqual(summary.failed, [
    { source: 'tone-1.mp3', reason: 'the output name is 304 bytes, over the 255 bytes a file name may have: rename the input' },
  ]);
  assert.deepEqual(readdirSync(out).sort(), ['noise-1.wav', 'tone-2.wav']);
});

test('atomic writes: a name that fits keeps a temporary name that fits, distinct for each file, and swept when stale', () => {
  const dir = scratch();
  assert.equal(temporaryName('/d/tone-1.wav'), `/d/tone-1.wav.tmp-${process.pid}`, 'short names keep the readable form');
  const long = (end: string) => join(dir, `${'ü'.repeat(100)}${'y'.repeat(45)}${end}.json`);
  const [first, second] = [long('1'), long('2')];
  assert.equal(bytes(basename(first)), 251);
  for (const path of [first, second]) {
    const temporary = temporaryName(path);
    assert.ok(bytes(basename(temporary)) <= MAX_NAME_BYTES, temporary);
    assert.match(basename(temporary), new RegExp(`^ü+y*~[0-9a-f]{16}\\.tmp-${process.pid}$`));
  }
  assert.notEqual(temporaryName(first), temporaryName(second));
  writeFileAtomic(first, 'one');
  writeFileAtomic(second, 'two');
  assert.equal(readFileSync(first, 'utf8'), 'one');
  assert.equal(readFileSync(second, 'utf8'), 'two');

  // A run killed while writing leaves its shortened temporary; the next run's sweep removes it.
  writeFileSync(temporaryName(first), 'half');
  assert.deepEqual(removeStaleTemporaries(dir), [basename(temporaryName(first))]);
  assert.ok(!existsSync(temporaryName(first)));
  assert.deepEqual(readdirSync(dir).sort(), [basename(first), basename(second)]);
});
