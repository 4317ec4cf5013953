import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../src/errors.js';
import { makeDirectory, prepareOutputDirectory } from '../src/util/make-dir.js';
import { runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-make-dir-');

test('makeDirectory makes every missing level, and is a no-op on an existing directory', () => {
  const deep = join(root, 'a', 'b', 'c');
  makeDirectory(deep);
  assert.ok(statSync(deep).isDirectory());
  makeDirectory(deep);
  makeDirectory(join(root, 'a'));
});

test('makeDirectory fails with the errno of what is in the way', () => {
  const file = join(root, 'plain-file');
  writeFileSync(file, '');
  assert.throws(() => makeDirectory(file), { code: 'EEXIST' });
  assert.throws(() => makeDirectory(join(file, 'below')), { code: 'ENOTDIR' });
  // Node's recursive mkdir never returns here; this one fails at once.
  assert.throws(() => makeDirectory('/proc/boiler-test/below'), { code: 'ENOENT' });
});

test('prepareOutputDirectory says in one line which flag to change', () => {
  assert.throws(
    () => prepareOutputDirectory('/proc/boiler-test', '--out'),
    (error) => error instanceof UserError && error.message === 'cannot write to output directory /proc/boiler-test (ENOENT): choose a writable --out',
  );
});

test('boiler convert --out under /proc is one line and exit 1, not a hang', async () => {
  const result = await runBoiler(['convert', '--in', root, '--out', '/proc/boiler-test'], { timeoutMs: 30_000 });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr, 'boiler: cannot write to output directory /proc/boiler-test (ENOENT): choose a writable --out\n');
});
