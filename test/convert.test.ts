import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { decodeWav, SAMPLE_RATE } from '../src/audio/clip.js';
import { convertDirectory, planConversion } from '../src/audio/convert-directory.js';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { convertFile } from '../src/audio/transcode.js';
import { readWavHeader } from '../src/audio/wav-header.js';
import { BOILER, FIXTURES, runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';
import { watchStderr } from './helpers/stderr-lines.js';

const FFMPEG = locateFfmpeg().path;
const MEDIA = join(FIXTURES, 'media');
const BAD = join(FIXTURES, 'bad');
const BAD_INPUTS = ['corrupt.mp4', 'empty.mp3', 'not-media.mp3', 'video-only.mp4'];

function scratch(): string {
  return scratchDir('boiler-convert-');
}

/**
 * The input's audio duration, measured without ffprobe and without resampling: ffmpeg decodes it
 * at its own rate to raw mono 16-bit samples, which are counted; the rate is read from ffmpeg's
 * stream listing.
 */
async function inputSeconds(path: string): Promise<number> {
  const { stdout, stderr } = await promisify(execFile)(
    FFMPEG,
    ['-nostdin', '-hide_banner', '-i', path, '-vn', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const rate = /Audio: [^\n]*?, (\d+) Hz/.exec(stderr.toString())?.[1];
  assert.ok(rate, `ffmpeg names the sample rate of ${path}`);
  return stdout.length / 2 / Number(rate);
}

/** A wav is complete when its data chunk ends exactly at the end of the file and training's loader reads it. */
function assertCompleteWav(path: string, rate = SAMPLE_RATE): Float32Array {
  const header = readWavHeader(path);
  assert.deepEqual(
    { format: header.audioFormat, channels: header.channels, rate: header.sampleRate, bits: header.bitsPerSample },
    { format: 1, channels: 1, rate, bits: 16 },
    path,
  );
  assert.equal(statSync(path).size, 44 + header.dataBytes, `${path}: 44-byte header and the samples, nothing missing`);
  return rate === SAMPLE_RATE ? decodeWav(readFileSync(path), path) : new Float32Array();
}

function wavsIn(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.wav')).sort();
}

test('every fixture becomes a 16 kHz mono 16-bit wav as long as its input, with its sound', async () => {
  const out = scratch();
  const summary = await convertDirectory({ input: MEDIA, output: out, jobs: 2 });
  const names = readdirSync(MEDIA);
  assert.equal(summary.converted.length, names.length);
  assert.deepEqual(summary.failed, []);
  assert.deepEqual(wavsIn(out), names.map((n) => n.replace(/\.\w+$/, '.wav')).sort());
  for (const name of names) {
    const wav = join(out, name.replace(/\.\w+$/, '.wav'));
    const samples = assertCompleteWav(wav);
    const got = samples.length / SAMPLE_RATE;
    const want = await inputSeconds(join(MEDIA, name));
    assert.ok(Math.abs(got - want) <= 0.02, `${name}: wav lasts ${got} s, input ${want} s`);
    const rms = Math.sqrt(samples.reduce((sum, v) => sum + v * v, 0) / samples.length);
    assert.ok(rms > 0.05, `${name}: the wav carries the input's sound (rms ${rms})`);
  }
});

test('--rate sets the output rate, and an output at another rate is converted again', async () => {
  const out = scratch();
  await convertDirectory({ input: MEDIA, output: out, rate: 8000 });
  assertCompleteWav(join(out, 'tone-1.wav'), 8000);
  assert.ok(Math.abs(readWavHeader(join(out, 'tone-1.wav')).seconds - 3.5) <= 0.02);
  const again = await convertDirectory({ input: MEDIA, output: out });
  assert.equal(again.converted.length, 12);
  assertCompleteWav(join(out, 'tone-1.wav'));
});

test('a second run converts nothing; a changed input or --force converts again', async () => {
  const input = scratch();
  cpSync(MEDIA, input, { recursive: true });
  const out = scratch();
  await convertDirectory({ input, output: out });
  const before = new Map(wavsIn(out).map((n) => [n, statSync(join(out, n)).mtimeMs]));

  const second = await convertDirectory({ input, output: out });
  assert.equal(second.converted.length, 0);
  assert.equal(second.upToDate.length, 12);
  for (const [name, mtime] of before) assert.equal(statSync(join(out, name)).mtimeMs, mtime, `${name} untouched`);

  const later = new Date(Date.now() + 60_000);
  utimesSync(join(input, 'sweep-2.ogg'), later, later);
  const third = await convertDirectory({ input, output: out });
  assert.deepEqual(third.converted.map((c) => c.source), ['sweep-2.ogg']);

  const forced = await convertDirectory({ input, output: out, force: true });
  assert.equal(forced.converted.length, 12);
});

test('undecodable files are reported by name with ffmpeg\'s reason, one line each; the rest convert; exit 3', async () => {
  const out = scratch();
  const result = await runBoiler(['convert', '--in', FIXTURES, '--out', out, '--jobs', '2']);
  assert.equal(result.code, 3, result.stderr);
  const failures = result.stderr.split('\n').filter((l) => l.startsWith('failed: '));
  assert.deepEqual(failures.map((l) => l.split(': ')[1]), BAD_INPUTS.map((n) => `bad/${n}`));
  assert.match(result.stderr, /^failed: bad\/corrupt\.mp4: .*moov atom not found/m);
  assert.match(result.stderr, /^failed: bad\/empty\.mp3: empty file \(0 bytes\)$/m);
  assert.match(result.stderr, /^failed: bad\/not-media\.mp3: \S.*$/m);
  assert.match(result.stderr, /^failed: bad\/video-only\.mp4: no audio stream/m);
  assert.match(result.stderr, /^13 converted, 0 up to date, 4 failed, 0 name clashes in /m);
  assert.deepEqual(wavsIn(out), [...readdirSync(MEDIA).map((n) => n.replace(/\.\w+$/, '.wav')), 'silent.wav'].sort());
  assert.deepEqual(readdirSync(out).filter((n) => !n.endsWith('.wav')), [], 'no temporary files left');
});

test('--json prints the summary on stdout', async () => {
  const out = scratch();
  const result = await runBoiler(['convert', '--in', BAD, '--out', out, '--json']);
  assert.equal(result.code, 3);
  const summary = JSON.parse(result.stdout) as { converted: { source: string }[]; failed: { source: string; reason: string }[] };
  assert.deepEqual(summary.converted.map((c) => c.source), ['silent.wav']);
  assert.deepEqual(summary.failed.map((f) => f.source), BAD_INPUTS);
  assert.ok(summary.failed.every((f) => f.reason.length > 0 && !f.reason.includes('\n')));
});

test('inputs that give the same output name: audio before video, then the first path; each clash reported', async () => {
  const input = scratch();
  mkdirSync(join(input, 'b'));
  mkdirSync(join(input, 'c'));
  copyFileSync(join(MEDIA, 'beat-1.mp4'), join(input, 'a.mp4'));
  copyFileSync(join(MEDIA, 'tone-3.mp3'), join(input, 'b', 'a.mp3'));
  copyFileSync(join(MEDIA, 'sweep-1.ogg'), join(input, 'c', 'x.ogg'));
  copyFileSync(join(MEDIA, 'noise-2.m4a'), join(input, 'b', 'x.m4a'));
  copyFileSync(join(MEDIA, 'tone-1.mp3'), join(input, 'b', 'y.mp3'));
  copyFileSync(join(MEDIA, 'tone-2.mp3'), join(input, 'c', 'y.mp3'));
  copyFileSync(join(MEDIA, 'tone-2.mp3'), join(input, 'c', `-y "odd" name ü's.mp3`));
  const out = scratch();
  const result = await runBoiler(['convert', '--in', input, '--out', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { clashes: { source: string; output: string; keptSource: string }[] };
  assert.deepEqual(summary.clashes, [
    { source: 'a.mp4', output: 'a.wav', keptSource: 'b/a.mp3' },
    { source: 'c/x.ogg', output: 'x.wav', keptSource: 'b/x.m4a' },
    { source: 'c/y.mp3', output: 'y.wav', keptSource: 'b/y.mp3' },
  ]);
  assert.match(result.stderr, /^name clash: a\.mp4 not converted, a\.wav comes from b\/a\.mp3$/m);
  assert.deepEqual(wavsIn(out), [`-y "odd" name ü's.wav`, 'a.wav', 'x.wav', 'y.wav']);
  // The kept inputs' lengths (10 s, 6 s, 3.5 s) tell which one each wav came from.
  assert.deepEqual(['a', 'x', 'y'].map((n) => Math.round(readWavHeader(join(out, `${n}.wav`)).seconds)), [10, 6, 4]);
});

test('ffmpeg runs several files per process; a batch it fails as a whole is redone file by file', async () => {
  const input = scratch();
  const names = readdirSync(MEDIA);
  for (const copy of ['a', 'b', 'c']) for (const name of names) copyFileSync(join(MEDIA, name), join(input, `${copy}-${name}`));
  copyFileSync(join(BAD, 'corrupt.mp4'), join(input, 'b-corrupt.mp4'));
  // The real ffmpeg behind a script that counts its runs.
  const bin = scratch();
  const counting = join(bin, 'ffmpeg');
  writeFileSync(counting, `#!/bin/sh\necho "$*" >> ${join(bin, 'runs')}\nexec ${FFMPEG} "$@"\n`);
  chmodSync(counting, 0o755);
  const out = scratch();
  const summary = await convertDirectory({ input, output: out, jobs: 1, ffmpegPath: counting });
  assert.equal(summary.converted.length, 36);
  // 37 files in batches of 8: five conversions, plus eight for the batch with the corrupt file
  // (fluent-ffmpeg's own runs, ffmpeg -formats and -encoders, take no input).
  const conversions = readFileSync(join(bin, 'runs'), 'utf8').split('\n').filter((args) => args.includes(' -i '));
  assert.equal(conversions.length, 5 + 8);
  assert.deepEqual(summary.failed.map((f) => f.source), ['b-corrupt.mp4']);
  assert.match(summary.failed[0].reason, /moov atom not found/);
  // A wav made in a batch is the very file that converting its input alone gives.
  const alone = join(scratch(), 'alone.wav');
  await convertFile(join(input, 'b-noise-2.m4a'), alone, { ffmpegPath: FFMPEG, rate: SAMPLE_RATE });
  assert.ok(readFileSync(alone).equals(readFileSync(join(out, 'b-noise-2.wav'))));
});

test('an output directory inside the input is not taken as input', async () => {
  const input = scratch();
  cpSync(MEDIA, input, { recursive: true });
  const out = join(input, 'wav');
  await convertDirectory({ input, output: out });
  const plan = planConversion({ input, output: out });
  assert.equal(plan.pending.length + plan.upToDate.length, 12);
  assert.equal(plan.pending.length, 0);
});

test('temporary files of a dead run are removed; those of a live one are left alone', async () => {
  const out = scratch();
  let deadPid = 4_000_000;
  while (existsSync(`/proc/${deadPid}`)) deadPid++;
  writeFileSync(join(out, `tone-1.wav.tmp-${deadPid}`), 'half a wav');
  writeFileSync(join(out, `tone-2.wav.tmp-${process.ppid}`), 'a live run is writing this');
  await convertDirectory({ input: MEDIA, output: out });
  assert.ok(!existsSync(join(out, `tone-1.wav.tmp-${deadPid}`)));
  assert.ok(existsSync(join(out, `tone-2.wav.tmp-${process.ppid}`)));
});

test('a run killed with SIGKILL mid-way (boiler and its ffmpegs) leaves no partial wav, and a rerun completes without redoing work', async () => {
  const input = scratch();
  for (const copy of ['a', 'b', 'c', 'd']) {
    for (const name of readdirSync(MEDIA)) copyFileSync(join(MEDIA, name), join(input, `${copy}-${name}`));
  }
  const total = 48;
  const out = scratch();
  // In its own process group, so that the kill takes boiler and its ffmpeg processes at once, as a
  // crash or an OOM kill would: an ffmpeg that survived would finish its file and hide a partial write.
  // A progress line per file: the kill comes as the first file is done, all others to go.
  const env = { ...process.env, BOILER_PROGRESS_INTERVAL: '0' };
  const child = spawn(process.execPath, [BOILER, 'convert', '--in', input, '--out', out, '--jobs', '2'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await watchStderr(child).line(new RegExp(`^convert: 1/${total} files`));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;

  const survivors = wavsIn(out);
  assert.ok(survivors.length < total, `killed mid-way (${survivors.length} of ${total} done)`);
  for (const name of survivors) assertCompleteWav(join(out, name));
  const mtimes = new Map(survivors.map((n) => [n, statSync(join(out, n)).mtimeMs]));

  const rerun = await runBoiler(['convert', '--in', input, '--out', out, '--jobs', '2']);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`^${total - survivors.length} converted, ${survivors.length} up to date, 0 failed`, 'm'));
  assert.equal(wavsIn(out).length, total);
  assert.deepEqual(readdirSync(out).filter((n) => !n.endsWith('.wav')), [], 'the killed run\'s temporary files are gone');
  for (const name of wavsIn(out)) assertCompleteWav(join(out, name));
  for (const [name, mtime] of mtimes) assert.equal(statSync(join(out, name)).mtimeMs, mtime, `${name} not converted twice`);
});

test('bad flags and directories: one line, exit 1; a missing required flag: exit 2', async () => {
  const out = scratch();
  const cases: [string[], RegExp][] = [
    [['--in', MEDIA, '--out', out, '--jobs', '0'], /option '--jobs <n>' argument '0' is invalid/],
    [['--in', MEDIA, '--out', out, '--rate', 'fast'], /option '--rate <hz>' argument 'fast' is invalid/],
    [['--in', join(out, 'nowhere'), '--out', out], /input directory .*nowhere does not exist/],
    [['--in', join(MEDIA, 'tone-1.mp3'), '--out', out], /tone-1\.mp3 is not a directory/],
    [['--in', MEDIA, '--out', MEDIA], /--in and --out are both/],
    [['--in', out, '--out', join(out, 'wav')], /no audio or video files under/],
    [['--in', MEDIA, '--out', out, '--ffmpeg', '/no/ffmpeg'], /ffmpeg not found at \/no\/ffmpeg/],
  ];
  for (const [args, message] of cases) {
    const result = await runBoiler(['convert', ...args]);
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, message);
  }
  const missing = await runBoiler(['convert', '--in', MEDIA]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--out <dir>' not specified/);
});
