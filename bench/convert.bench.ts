/**
 * Issue 5: `boiler convert` on 200 ten-second mp4 clips must reach ≥ 0.95× the throughput of the
 * bare equivalent, `xargs -P N ffmpeg …` with the same N and the same ffmpeg arguments.
 *
 * Ours is the library call the CLI makes (convertDirectory: listing, up-to-date checks,
 * fluent-ffmpeg, temporary name + rename, header check) with --force semantics so that every clip
 * is converted. The two alternate, each run into an emptied output directory; medians are printed.
 * The first run of ours also pays fluent-ffmpeg's one-off capability probe (ffmpeg -formats,
 * -encoders), as every CLI invocation does. BENCH_RUNS (default 3) sets the runs per variant, BENCH_JOBS (default: cores) N.
 * The measuring code is src/bench/convert-bench.ts, which `boiler bench convert` runs at a smaller size.
 */
import { availableParallelism, loadavg } from 'node:os';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { CLIP_SECONDS, coubLikeClips, compareConversion, type ConvertSample } from '../src/bench/convert-bench.js';
import { median } from '../src/bench/measure.js';

const CLIPS = 200;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JOBS = Number(process.env.BENCH_JOBS ?? availableParallelism());
const ffmpeg = locateFfmpeg().path;

const input = coubLikeClips(CLIPS, ffmpeg, console.log);
console.log(`convert ${CLIPS} × ${CLIP_SECONDS} s mp4 (x264 320x180 + AAC 44.1 kHz stereo) → 16 kHz mono 16-bit wav`);
console.log(`N = ${JOBS} jobs, ${RUNS} runs per variant, alternating; ffmpeg ${ffmpeg}`);
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared machine: other work skews single runs)`);

const { boiler, xargs } = await compareConversion(input, JOBS, RUNS, ffmpeg);

const fmt = (samples: ConvertSample[]) => {
  const rates = samples.map((s) => s.filesPerSecond);
  const cpu = median(samples.map((s) => s.cpuMsPerFile));
  return `${median(rates).toFixed(1)} files/s (median; runs ${rates.map((r) => r.toFixed(1)).join(', ')}), CPU ${cpu.toFixed(1)} ms/file`;
};
const ratio = median(boiler.map((s) => s.filesPerSecond)) / median(xargs.map((s) => s.filesPerSecond));
console.log(`boiler convert (library convertDirectory): ${fmt(boiler)}`);
console.log(`xargs -P ${JOBS} ffmpeg (bare):             ${fmt(xargs)}`);
console.log(`ratio: ${ratio.toFixed(3)} (target ≥ 0.95) ${ratio >= 0.95 ? 'met' : 'NOT met'}`);
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
