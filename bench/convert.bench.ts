/**
 * Issue 5: `boiler convert` on 200 ten-second mp4 clips must reach ≥ 0.95× the throughput of the
 * bare equivalent, `xargs -P N ffmpeg …` with the same N and the same ffmpeg arguments.
 *
 * Ours is the library call the CLI makes (convertDirectory: listing, up-to-date checks,
 * fluent-ffmpeg, temporary name + rename, header check) with --force semantics so that every clip
 * is converted. The two alternate, each run into an emptied output directory; medians are printed.
 * The first run of ours also pays fluent-ffmpeg's one-off capability probe (ffmpeg -formats,
 * -encoders), as every CLI invocation does. BENCH_RUNS (default 3) sets the runs per variant, BENCH_JOBS (default: cores) N.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertDirectory } from '../src/audio/convert.js';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { FFMPEG_GLOBAL_OPTIONS, INPUT_OPTIONS, wavOutputOptions } from '../src/audio/transcode.js';

const CLIPS = 200;
const SECONDS = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JOBS = Number(process.env.BENCH_JOBS ?? availableParallelism());
const ffmpeg = locateFfmpeg().path;

/** Distinct clips; the 200 are copies of these (ffmpeg's AAC encoder takes most of a second per clip). */
const DISTINCT = 10;

/**
 * 200 coub-like mp4s, made once and kept in the temporary directory: a 320x180 x264 video track
 * with a 44.1 kHz stereo AAC tone, ten different tones, each file copied 20 times. Deterministic
 * (bitexact, synthetic sources).
 */
function clips(): string {
  const dir = join(tmpdir(), `boiler-bench-convert-${CLIPS}x${SECONDS}s-v2`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const building = `${dir}.building-${process.pid}`;
  mkdirSync(building, { recursive: true });
  const run = (args: string[]) => execFileSync(ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const exact = ['-map_metadata', '-1', '-fflags', '+bitexact', '-flags', '+bitexact'];
  const video = join(building, 'video.mp4');
  console.log(`generating ${CLIPS} clips of ${SECONDS} s in ${dir} (once)…`);
  run(['-f', 'lavfi', '-i', `testsrc=size=320x180:rate=25:duration=${SECONDS}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...exact, video]);
  const originals = Array.from({ length: DISTINCT }, (_, i) => {
    const path = join(building, `tone-${i}.mp4`);
    run([
      '-i', video, '-f', 'lavfi', '-i', `sine=frequency=${200 + 70 * i}:sample_rate=44100:duration=${SECONDS}`,
      '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-shortest', ...exact, path,
    ]);
    return path;
  });
  for (let i = 0; i < CLIPS; i++) copyFileSync(originals[i % DISTINCT], join(building, `clip-${String(i).padStart(3, '0')}.mp4`));
  for (const path of [video, ...originals]) rmSync(path);
  writeFileSync(join(building, 'complete'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return dir;
}

function emptied(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * CPU seconds used so far by this process and by the children it has waited for (ffmpeg, xargs
 * and its ffmpegs), from /proc/self/stat. Less swayed than wall time by the other work on the machine.
 */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime + stime + cutime + cstime) / 100;
}

interface Sample {
  filesPerSecond: number;
  cpuMsPerFile: number;
}

/** One run of `work`, checking that it wrote every wav. */
async function measure(out: string, work: () => Promise<void>): Promise<Sample> {
  emptied(out);
  const cpu = cpuSeconds();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const written = readdirSync(out).filter((n) => n.endsWith('.wav')).length;
  if (written !== CLIPS) throw new Error(`${out}: ${written} wavs, expected ${CLIPS}`);
  return { filesPerSecond: CLIPS / seconds, cpuMsPerFile: ((cpuSeconds() - cpu) * 1000) / CLIPS };
}

async function ours(input: string, out: string): Promise<void> {
  const summary = await convertDirectory({ input, output: out, jobs: JOBS, force: true, ffmpegPath: ffmpeg });
  if (summary.failed.length) throw new Error(`failed: ${JSON.stringify(summary.failed)}`);
}

/** The bare equivalent: xargs runs ffmpeg directly (no shell) with the same arguments, writing the final name. */
function bare(input: string, out: string, names: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-0', '-P', String(JOBS), '-I{}', ffmpeg, ...FFMPEG_GLOBAL_OPTIONS, ...INPUT_OPTIONS, '-i', join(input, '{}.mp4'), '-y', ...wavOutputOptions(0, 16000), join(out, '{}.wav')];
    const xargs = spawn('xargs', args, { stdio: ['pipe', 'inherit', 'inherit'] });
    xargs.on('error', reject);
    xargs.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xargs exited with ${code}`))));
    xargs.stdin.end(names.map((n) => `${n}\0`).join(''));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const input = clips();
const names = readdirSync(input).filter((n) => n.endsWith('.mp4')).map((n) => n.slice(0, -4));
const scratch = join(tmpdir(), `boiler-bench-convert-out-${process.pid}`);
const oursOut = join(scratch, 'ours');
const bareOut = join(scratch, 'bare');
console.log(`convert ${names.length} × ${SECONDS} s mp4 (x264 320x180 + AAC 44.1 kHz stereo) → 16 kHz mono 16-bit wav`);
console.log(`N = ${JOBS} jobs, ${RUNS} runs per variant, alternating; ffmpeg ${ffmpeg}`);
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared machine: other work skews single runs)`);

const oursRates: Sample[] = [];
const bareRates: Sample[] = [];
for (let run = 0; run < RUNS; run++) {
  // Alternating which goes first spreads slow drifts in machine load over both.
  const pair: [Sample[], () => Promise<Sample>][] = [
    [oursRates, () => measure(oursOut, () => ours(input, oursOut))],
    [bareRates, () => measure(bareOut, () => bare(input, bareOut, names))],
  ];
  if (run % 2 === 1) pair.reverse();
  for (const [rates, go] of pair) rates.push(await go());
}
rmSync(scratch, { recursive: true, force: true });

const fmt = (samples: Sample[]) => {
  const rates = samples.map((s) => s.filesPerSecond);
  const cpu = median(samples.map((s) => s.cpuMsPerFile));
  return `${median(rates).toFixed(1)} files/s (median; runs ${rates.map((r) => r.toFixed(1)).join(', ')}), CPU ${cpu.toFixed(1)} ms/file`;
};
const ratio = median(oursRates.map((s) => s.filesPerSecond)) / median(bareRates.map((s) => s.filesPerSecond));
console.log(`boiler convert (library convertDirectory): ${fmt(oursRates)}`);
console.log(`xargs -P ${JOBS} ffmpeg (bare):             ${fmt(bareRates)}`);
console.log(`ratio: ${ratio.toFixed(3)} (target ≥ 0.95) ${ratio >= 0.95 ? 'met' : 'NOT met'}`);
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
