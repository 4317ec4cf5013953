import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT, runBoiler } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string; bin: Record<string, string> };

test('package.json maps boiler to bin/boiler', () => {
  assert.equal(pkg.bin.boiler, 'bin/boiler');
});

test('--help lists the subcommands and exits 0', async () => {
  const result = await runBoiler(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /Commands:/);
  assert.match(result.stdout, /doctor/);
});

test('no arguments prints help and exits 2', async () => {
  const result = await runBoiler([]);
  assert.equal(result.code, 2);
  assert.match(result.stdout, /Usage: boiler/);
});

test('--version prints the package version', async () => {
  const result = await runBoiler(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), pkg.version);
});

test('every subcommand has --help with an example', async () => {
  const help = await runBoiler(['--help']);
  const names = [...help.stdout.split('Commands:')[1].matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]).filter((n) => n !== 'help');
  assert.ok(names.length > 0);
  for (const name of names) {
    const result = await runBoiler([name, '--help']);
    assert.equal(result.code, 0, name);
    assert.match(result.stdout, /Examples:\n {2}\$ boiler /, `${name} --help shows an example`);
  }
});

test('an unknown flag is a usage error: one line, exit 2', async () => {
  const result = await runBoiler(['doctor', '--no-such-flag']);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /unknown option '--no-such-flag'/);
});

test('an unknown command is a usage error', async () => {
  const result = await runBoiler(['frobnicate']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown command/);
});

test('a bad flag value is a user error: one line, exit 1', async () => {
  const result = await runBoiler(['doctor', '--backend', 'quantum']);
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /Allowed choices are auto/);
});

test('a user error prints one line without a stack; --verbose adds the stack', async () => {
  const quiet = await runBoiler(['doctor', '--ffmpeg', '/no/such/ffmpeg']);
  assert.equal(quiet.code, 1);
  assert.equal(quiet.stderr.trim().split('\n').length, 1);
  assert.match(quiet.stderr, /^boiler: ffmpeg not found at \/no\/such\/ffmpeg/);
  assert.doesNotMatch(quiet.stderr, /\n\s+at /);
  const verbose = await runBoiler(['--verbose', 'doctor', '--ffmpeg', '/no/such/ffmpeg']);
  assert.equal(verbose.code, 1);
  assert.match(verbose.stderr, /\n\s+at /);
});

test('doctor --json reports the ffmpeg and backend it finds', async () => {
  const result = await runBoiler(['doctor', '--json', '--backend', 'cpu']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { backend: string; ffmpeg: { path: string; version: string } };
  assert.equal(report.backend, 'cpu');
  assert.match(report.ffmpeg.version, /^ffmpeg version/);
});

test('BOILER_BACKEND forces a backend; a missing one names its npm install', async () => {
  const result = await runBoiler(['doctor'], { env: { BOILER_BACKEND: 'tensorflow' } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /backend 'tensorflow' is not available .*npm install @tensorflow\/tfjs-node/);
});
