/**
 * Conversion throughput, as issue 5 defines it: `boiler convert` (the library call the CLI makes:
 * listing, up-to-date checks, ffmpeg, temporary name + rename, header check; every file
 * converted) against the bare equivalent, `xargs -P N ffmpeg …` with the same N and the same
 * ffmpeg arguments, on coub-like 10 s mp4 clips. The two alternate, each run into an emptied
 * output directory.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertDirectory } from '../audio/convert-directory.js';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { FFMPEG_GLOBAL_OPTIONS, INPUT_OPTIONS, wavOutputOptions } from '../audio/transcode.js';
import { SAMPLE_RATE } from '../model/vqvae2.js';
import { machineNote, median } from './measure.js';
import type { BenchResult, Cell } from './result.js';

export const CLIP_SECONDS = 10;
/** Distinct clips; the others are copies of these (ffmpeg's AAC encoder takes most of a second per clip). */
const DISTINCT = 10;

/**
 * `count` coub-like mp4s, made once and kept in the temporary directory: a 320x180 x264 video
 * track with a 44.1 kHz stereo AAC tone, ten different tones copied over and over. Deterministic
 * (bitexact, synthetic sources). Returns the directory.
 */
export function coubLikeClips(count: number, ffmpeg: string, log: (line: string) => void = () => {}): string {
  const dir = join(tmpdir(), `boiler-bench-convert-${count}x${CLIP_SECONDS}s-v2`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const building = `${dir}.building-${process.pid}`;
  mkdirSync(building, { recursive: true });
  const run = (args: string[]) => execFileSync(ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const exact = ['-map_metadata', '-1', '-fflags', '+bitexact', '-flags', '+bitexact'];
  const video = join(building, 'video.mp4');
  log(`generating ${count} clips of ${CLIP_SECONDS} s in ${dir} (once)…`);
  run(['-f', 'lavfi', '-i', `testsrc=size=320x180:rate=25:duration=${CLIP_SECONDS}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...exact, video]);
  const originals = Array.from({ length: Math.min(DISTINCT, count) }, (_, i) => {
    const path = join(building, `tone-${i}.mp4`);
    run([
      '-i', video, '-f', 'lavfi', '-i', `sine=frequency=${200 + 70 * i}:sample_rate=44100:duration=${CLIP_SECONDS}`,
      '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-shortest', ...exact, path,
    ]);
    return path;
  });
  for (let i = 0; i < count; i++) copyFileSync(originals[i % originals.length], join(building, `clip-${String(i).padStart(3, '0')}.mp4`));
  for (const path of [video, ...originals]) rmSync(path);
  writeFileSync(join(building, 'complete'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return dir;
}

/**
 * CPU seconds used so far by this process and by the children it has waited for (ffmpeg, xargs
 * and its ffmpegs), from /proc/self/stat. Less swayed than wall time by the other work on the machine.
 */
export function cpuSecondsWithChildren(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime + stime + cutime + cstime) / 100;
}

export interface ConvertSample {
  filesPerSecond: number;
  cpuMsPerFile: number;
}

function emptied(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** One run of `work` into an emptied `out`, checking that it wrote `files` wavs. */
async function timeRun(out: string, files: number, work: () => Promise<void>): Promise<ConvertSample> {
  emptied(out);
  const cpu = cpuSecondsWithChildren();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const written = readdirSync(out).filter((n) => n.endsWith('.wav')).length;
  if (written !== files) throw new Error(`${out}: ${written} wavs, expected ${files}`);
  return { filesPerSecond: files / seconds, cpuMsPerFile: ((cpuSecondsWithChildren() - cpu) * 1000) / files };
}

async function convertWithBoiler(input: string, out: string, jobs: number, ffmpeg: string): Promise<void> {
  const summary = await convertDirectory({ input, output: out, jobs, force: true, ffmpegPath: ffmpeg });
  if (summary.failed.length) throw new Error(`failed: ${JSON.stringify(summary.failed)}`);
}

/** The bare equivalent: xargs runs ffmpeg directly (no shell) with the same arguments, writing the final name. */
function convertWithXargs(input: string, out: string, names: string[], jobs: number, ffmpeg: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-0', '-P', String(jobs), '-I{}', ffmpeg, ...FFMPEG_GLOBAL_OPTIONS, ...INPUT_OPTIONS, '-i', join(input, '{}.mp4'), '-y', ...wavOutputOptions(0, SAMPLE_RATE), join(out, '{}.wav')];
    const xargs = spawn('xargs', args, { stdio: ['pipe', 'inherit', 'inherit'] });
    xargs.on('error', reject);
    xargs.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xargs exited with ${code}`))));
    xargs.stdin.end(names.map((n) => `${n}\0`).join(''));
  });
}

export interface ConvertComparison {
  boiler: ConvertSample[];
  xargs: ConvertSample[];
}

/** `runs` runs of each way to convert the mp4s of `input` with `jobs` at once, alternating which goes first. */
export async function compareConversion(input: string, jobs: number, runs: number, ffmpeg: string): Promise<ConvertComparison> {
  const names = readdirSync(input).filter((n) => n.endsWith('.mp4')).map((n) => n.slice(0, -4));
  const scratch = join(tmpdir(), `boiler-bench-convert-out-${process.pid}`);
  const ours = join(scratch, 'boiler');
  const bare = join(scratch, 'xargs');
  const result: ConvertComparison = { boiler: [], xargs: [] };
  try {
    for (let run = 0; run < runs; run++) {
      // Alternating which goes first spreads slow drifts in machine load over both.
      const pair: [ConvertSample[], () => Promise<ConvertSample>][] = [
        [result.boiler, () => timeRun(ours, names.length, () => convertWithBoiler(input, ours, jobs, ffmpeg))],
        [result.xargs, () => timeRun(bare, names.length, () => convertWithXargs(input, bare, names, jobs, ffmpeg))],
      ];
      if (run % 2 === 1) pair.reverse();
      for (const [samples, go] of pair) samples.push(await go());
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

export interface ConvertBenchOptions {
  clips?: number;
  runs?: number;
  log?: (line: string) => void;
}

export async function benchConvert(options: ConvertBenchOptions = {}): Promise<BenchResult> {
  const clips = options.clips ?? 100;
  const runs = options.runs ?? 3;
  const ffmpeg = locateFfmpeg().path;
  const input = coubLikeClips(clips, ffmpeg, options.log);
  const jobCounts = [...new Set([1, availableParallelism()])];
  const rows: Cell[][] = [];
  const byJobs: { jobs: number; boiler: number; xargs: number }[] = [];
  for (const jobs of jobCounts) {
    options.log?.(`convert: ${clips} clips, ${jobs} at once, ${runs} runs each way`);
    const compared = await compareConversion(input, jobs, runs, ffmpeg);
    const summary = { jobs, boiler: 0, xargs: 0 };
    for (const variant of ['boiler', 'xargs'] as const) {
      const samples = compared[variant];
      const filesPerSecond = median(samples.map((s) => s.filesPerSecond));
      summary[variant] = filesPerSecond;
      rows.push([variant === 'boiler' ? 'boiler convert' : 'xargs ffmpeg', jobs, clips, runs, filesPerSecond, filesPerSecond * CLIP_SECONDS, median(samples.map((s) => s.cpuMsPerFile))]);
    }
    byJobs.push(summary);
  }
  return {
    name: 'convert',
    columns: ['variant', 'jobs', 'files', 'runs', 'files_per_s', 'audio_s_per_s', 'cpu_ms_per_file'],
    rows,
    chart: {
      title: `convert: ${clips} × ${CLIP_SECONDS} s mp4 (x264 + AAC stereo) to 16 kHz mono wav`,
      note: machineNote(),
      panels: [
        {
          title: 'throughput (median of runs)',
          xLabel: 'jobs at once',
          yLabel: 'files/s',
          categories: byJobs.map((b) => String(b.jobs)),
          series: [
            { name: 'boiler convert', points: byJobs.map((b, i) => ({ x: i, y: b.boiler })) },
            { name: 'xargs -P N ffmpeg', points: byJobs.map((b, i) => ({ x: i, y: b.xargs })) },
          ],
        },
      ],
    },
    summary: byJobs.map(
      (b) => `${b.jobs} job(s): boiler convert ${b.boiler.toFixed(1)} files/s, xargs ffmpeg ${b.xargs.toFixed(1)} files/s, ratio ${(b.boiler / b.xargs).toFixed(3)}`,
    ),
  };
}
