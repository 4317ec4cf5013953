import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import wavefile from 'wavefile';
import { CLIP_SAMPLES, readWav } from '../src/audio/clip.js';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { clipStats, type ClipStats } from '../src/audio/stats.js';
import { runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

function writeWav(path: string, channels: number, rate: number, bitDepth: string, frames: number): void {
  const channel = () => Array.from({ length: frames }, (_, i) => Math.round(1000 * Math.sin(i / 10)));
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, channels === 1 ? channel() : Array.from({ length: channels }, channel));
  writeFileSync(path, wav.toBuffer());
}

/**
 * A wav directory as training meets it: clips on both sides of 2**17 samples, one exactly that
 * long, one with a LIST chunk before its data (as ffmpeg writes by default), and files training
 * rejects; plus things that are not clips of the directory (a subfolder, a temporary file).
 */
function scratch(prefix: string): string {
  return scratchDir(prefix);
}

function knownSet(): string {
  const dir = scratch('boiler-stats-');
  writeWav(join(dir, 'one-second.wav'), 1, 16000, '16', 16000);
  writeWav(join(dir, 'almost.wav'), 1, 16000, '16', CLIP_SAMPLES - 1);
  writeWav(join(dir, 'exact.wav'), 1, 16000, '16', CLIP_SAMPLES);
  writeWav(join(dir, 'over.wav'), 1, 16000, '16', CLIP_SAMPLES + 1);
  writeWav(join(dir, 'ten-seconds.wav'), 1, 16000, '16', 160000);
  execFileSync(locateFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '2', '-c:a', 'pcm_s16le', join(dir, 'tagged.wav')]);
  writeWav(join(dir, 'cd.wav'), 2, 44100, '16', 4410);
  writeWav(join(dir, 'bytes.wav'), 1, 16000, '8', 1600);
  writeWav(join(dir, 'float.wav'), 1, 16000, '32f', 1600);
  writeFileSync(join(dir, 'notes.wav'), 'not a wav at all\n');
  mkdirSync(join(dir, 'nested.wav'));
  writeWav(join(dir, 'nested.wav', 'inside.wav'), 1, 16000, '16', 16000);
  writeWav(join(dir, 'half.wav.tmp-12345'), 1, 16000, '16', 16000);
  return dir;
}

const ACCEPTED_SECONDS = [1, (CLIP_SAMPLES - 1) / 16000, CLIP_SAMPLES / 16000, (CLIP_SAMPLES + 1) / 16000, 10, 2];

test('stats on a known set: counts, min, mean, max, and the files training rejects, by name', () => {
  const dir = knownSet();
  const stats = clipStats(dir, { bins: 9 });
  assert.equal(stats.observations, 6);
  assert.equal(stats.min, 1);
  assert.equal(stats.max, 10);
  assert.ok(Math.abs(stats.mean - ACCEPTED_SECONDS.reduce((a, b) => a + b) / 6) < 1e-9);
  assert.deepEqual({ shorter: stats.shorter, exact: stats.exact, longer: stats.longer }, { shorter: 3, exact: 1, longer: 2 });
  // Bins of 1 s from 1 s to 10 s: 1, 2, the three around 8.192 s, and 10 in the last bin.
  assert.deepEqual(stats.histogram.map((b) => b.count), [1, 1, 0, 0, 0, 0, 0, 3, 1]);
  assert.deepEqual(stats.rejected.map((r) => r.file), ['bytes.wav', 'cd.wav', 'float.wav', 'notes.wav']);
  assert.match(stats.rejected[1].reason, /^44100 Hz, 2 channel\(s\), 16-bit/);
  assert.match(stats.rejected[2].reason, /32-bit \(format 3\)/);
  assert.match(stats.rejected[3].reason, /not a readable wav: not a RIFF\/WAVE file/);
});

test("stats agrees with training's loader on which files it takes and how long they are", () => {
  const dir = knownSet();
  const stats = clipStats(dir);
  const rejected = new Set(stats.rejected.map((r) => r.file));
  for (const name of ['one-second.wav', 'almost.wav', 'exact.wav', 'over.wav', 'ten-seconds.wav', 'tagged.wav', ...rejected]) {
    if (rejected.has(name)) assert.throws(() => readWav(join(dir, name)), /convert it with boiler convert/, name);
    else assert.ok(readWav(join(dir, name)).length > 0, name);
  }
  const frames = ['one-second.wav', 'almost.wav', 'exact.wav', 'over.wav', 'ten-seconds.wav', 'tagged.wav'].map((n) => readWav(join(dir, n)).length);
  assert.equal(frames.filter((n) => n < CLIP_SAMPLES).length, stats.shorter);
  assert.equal(frames.filter((n) => n > CLIP_SAMPLES).length, stats.longer);
});

test('stats reads headers only: a 3 GB wav (sparse, too big to load) is measured from its header', () => {
  const dir = scratch('boiler-stats-big-');
  const path = join(dir, 'huge.wav');
  const dataBytes = 3_000_000_000;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  ftruncateSync(fd, 44 + dataBytes);
  closeSync(fd);
  assert.throws(() => readWav(path), /cannot read|ERR_FS_FILE_TOO_LARGE/, 'too big to read whole');
  const stats = clipStats(dir);
  assert.equal(stats.observations, 1);
  assert.equal(stats.max, dataBytes / 2 / 16000);
});

test('boiler stats prints the histogram, the summary and the rejected files', async () => {
  const dir = knownSet();
  const result = await runBoiler(['stats', dir, '--bins', '9']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.equal(lines.filter((l) => /^ +\d+\| /.test(l)).length, 3, 'one row per count up to the largest, 3');
  assert.match(result.stdout, /^ +3\| {15}██$/m);
  assert.match(result.stdout, /\|\s+observations: 6\s+\|/);
  assert.match(result.stdout, /\|\s+min value: 1\.000000\s+\|/);
  assert.match(result.stdout, /\|\s+max value: 10\.000000\s+\|/);
  assert.match(result.stdout, /2\*\*17 = 131072 samples \(8\.192 s\): 3 shorter \(repeated\), 1 exact, 2 longer \(truncated\)/);
  assert.match(result.stdout, /^4 file\(s\) that training would reject:$/m);
  for (const name of ['bytes.wav', 'cd.wav', 'float.wav', 'notes.wav']) assert.match(result.stdout, new RegExp(`^  ${name}: `, 'm'));
});

test('boiler stats --json gives the same figures', async () => {
  const dir = knownSet();
  const result = await runBoiler(['stats', dir, '--json', '--bins', '4']);
  assert.equal(result.code, 0, result.stderr);
  const stats = JSON.parse(result.stdout) as ClipStats;
  assert.equal(stats.observations, 6);
  assert.equal(stats.histogram.length, 4);
  assert.equal(stats.histogram.reduce((sum, b) => sum + b.count, 0), 6);
  assert.equal(stats.rejected.length, 4);
});

test('boiler stats: a bad directory or --bins is one line and exit 1', async () => {
  const empty = scratch('boiler-stats-empty-');
  const cases: [string[], RegExp][] = [
    [[join(empty, 'missing')], /missing is not a directory/],
    [[empty], /no \.wav files in .*: convert media into it with boiler convert/],
    [[empty, '--bins', '0'], /option '--bins <n>' argument '0' is invalid/],
  ];
  for (const [args, message] of cases) {
    const result = await runBoiler(['stats', ...args]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, message);
  }
});
