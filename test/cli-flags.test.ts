import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

/** Exit 2 and one line that names the flag and where to look, before any other complaint. */
function assertUnknownOption(result: { code: number; stderr: string }, flag: string, command: string): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr, `boiler: unknown option '${flag}' (see 'boiler ${command} --help')\n`);
}

test('an unknown flag is named before any missing required option, for every kind of command', async () => {
  for (const [command, ...args] of [['train'], ['index'], ['convert'], ['convert', '--in', FIXTURES], ['query'], ['eval']]) {
    const result = await runBoiler([command, ...args, '--no-such-flag']);
    assertUnknownOption(result, '--no-such-flag', command);
  }
});

test('the first unknown flag is named, wherever it stands, and a misspelt one too', async () => {
  assertUnknownOption(await runBoiler(['train', '--no-such-flag', '--wav-dir', 'x', '--other']), '--no-such-flag', 'train');
  assertUnknownOption(await runBoiler(['index', '--wav-dirr', 'wav']), '--wav-dirr', 'index');
  assertUnknownOption(await runBoiler(['--verbose', 'convert', '-z']), '-z', 'convert');
});

test('an unknown flag is named before a bad value of a known one', async () => {
  assertUnknownOption(await runBoiler(['train', '--epochs', 'x', '--no-such-flag']), '--no-such-flag', 'train');
  assertUnknownOption(await runBoiler(['serve', '--port', 'x', '--foo=1']), '--foo', 'serve');
  // Known flags in either form, negated ones and the program's own pass through to the usual checks.
  const known = await runBoiler(['index', '--no-standardise', '--m=8', '--verbose', '--wav-dir', '/no/such/dir', 'mfcc']);
  assert.equal(known.code, 1, known.stderr);
  assert.match(known.stderr, /\/no\/such\/dir/);
});

test('a command with an unknown flag does nothing, even when its required options are all there', async () => {
  const out = join(scratchDir('boiler-cli-flags-'), 'wav');
  assertUnknownOption(await runBoiler(['convert', '--in', join(FIXTURES, 'media'), '--out', out, '--frobnicate']), '--frobnicate', 'convert');
  assert.ok(!existsSync(out), 'nothing was converted');
});

test('--help wins over an unknown flag; a missing required option alone is still exit 2 and named', async () => {
  const help = await runBoiler(['train', '--no-such-flag', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: boiler train/);
  const missing = await runBoiler(['train']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^boiler: required option '--wav-dir <dir>' not specified$/m);
});
