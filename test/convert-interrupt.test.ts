import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { readWavHeader } from '../src/audio/wav-header.js';
import { BOILER, FIXTURES, runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

const MEDIA = join(FIXTURES, 'media');

const wavsIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wav')).sort();

test('Ctrl-C stops convert: running ffmpegs stopped, no temporaries, one line, exit 130; a rerun converts only the rest', async () => {
  const input = scratchDir('boiler-convert-interrupt-');
  for (const copy of ['a', 'b', 'c', 'd']) for (const name of readdirSync(MEDIA)) copyFileSync(join(MEDIA, name), join(input, `${copy}-${name}`));
  const total = 48;
  const out = scratchDir('boiler-convert-interrupt-');
  // One ffmpeg at a time, 8 files each: six batches one after the other. The signal goes to boiler
  // alone (not its process group), so boiler itself must stop the ffmpeg it is running.
  const child = spawn(process.execPath, [BOILER, 'convert', '--in', input, '--out', out, '--jobs', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BOILER_PROGRESS_INTERVAL: '0' },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines: string[] = [];
  let signalled = false;
  for await (const line of createInterface({ input: child.stderr! })) {
    lines.push(line);
    // The first file of the first batch is in place: stop while the second batch runs.
    if (!signalled && /^convert: 1\/48 files/.test(line)) {
      child.kill('SIGINT');
      signalled = true;
    }
  }
  assert.equal(await exited, 130, lines.join('\n'));
  const survivors = wavsIn(out);
  assert.ok(survivors.length >= 1 && survivors.length < total, `stopped mid-way (${survivors.length} of ${total})`);
  assert.equal(lines.filter((l) => l.startsWith('interrupted')).length, 1, lines.join('\n'));
  assert.equal(lines.at(-1), `interrupted: ${survivors.length} of ${total} converted, run the same command again to finish`);
  assert.ok(!lines.some((l) => l.startsWith('failed: ')), 'a file cut short is not a failure');
  assert.deepEqual(readdirSync(out).filter((n) => !n.endsWith('.wav')), [], 'no temporary files left');
  for (const name of survivors) assert.ok(readWavHeader(join(out, name)).frames > 0, name);
  const mtimes = new Map(survivors.map((n) => [n, statSync(join(out, n)).mtimeMs]));

  const rerun = await runBoiler(['convert', '--in', input, '--out', out, '--jobs', '2']);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`^${total - survivors.length} converted, ${survivors.length} up to date, 0 failed`, 'm'));
  assert.equal(wavsIn(out).length, total);
  for (const [name, mtime] of mtimes) assert.equal(statSync(join(out, name)).mtimeMs, mtime, `${name} not converted twice`);
});
