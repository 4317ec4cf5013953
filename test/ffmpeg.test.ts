import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { scratchDir } from './helpers/scratch.js';

const dir = scratchDir('boiler-ffmpeg-');
const fake = join(dir, 'ffmpeg');
writeFileSync(fake, '#!/bin/sh\necho fake\n');
chmodSync(fake, 0o755);
const notExecutable = join(dir, 'plain');
writeFileSync(notExecutable, '');

test('the bundled ffmpeg is found and really runs', () => {
  const found = locateFfmpeg(undefined, { PATH: '' });
  assert.equal(found.source, '@ffmpeg-installer/ffmpeg');
  assert.match(execFileSync(found.path, ['-version']).toString(), /^ffmpeg version/);
});

test('ffmpeg on PATH wins over the bundled one', () => {
  assert.deepEqual(locateFfmpeg(undefined, { PATH: `/nonexistent:${dir}` }), { path: fake, source: 'PATH' });
});

test('--ffmpeg wins over BOILER_FFMPEG, which wins over PATH', () => {
  assert.equal(locateFfmpeg(undefined, { PATH: '', BOILER_FFMPEG: fake }).source, 'BOILER_FFMPEG');
  assert.equal(locateFfmpeg(fake, { PATH: '', BOILER_FFMPEG: '/nope' }).source, 'flag');
});

test('an explicit path that is not an executable is an error, not a fallback', () => {
  assert.throws(() => locateFfmpeg(notExecutable, {}), /ffmpeg not found at .*plain \(from --ffmpeg\)/);
  assert.throws(() => locateFfmpeg(undefined, { BOILER_FFMPEG: '/no/ffmpeg' }), /from BOILER_FFMPEG/);
});

test('no ffmpeg anywhere is a clear error', () => {
  assert.throws(() => locateFfmpeg(undefined, { PATH: '' }, () => undefined), /ffmpeg not found: install it/);
});
