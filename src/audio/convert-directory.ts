import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { removeStaleTemporaries } from '../atomic-file.js';
import { describeError, UserError } from '../errors.js';
import type { StartProgress } from '../progress.js';
import { SAMPLE_RATE } from './clip.js';
import { locateFfmpeg } from './ffmpeg.js';
import { assignOutputNames, listMediaFiles, MEDIA_EXTENSIONS, type NameClash } from './media-files.js';
import { convertFiles, type TranscodeOptions } from './transcode.js';
import { readWavHeader } from './wav-header.js';
import { prepareOutputDirectory } from '../util/make-dir.js';

export interface ConvertOptions {
  /** Directory searched recursively for audio and video files. */
  input: string;
  /** Directory that receives one `<name>.wav` per input (created if missing). */
  output: string;
  /** Output sample rate in Hz (default SAMPLE_RATE, the model's). */
  rate?: number;
  /** Convert even where an up-to-date output exists. */
  force?: boolean;
}

/** One input and the wav it becomes; `source` is relative to the input directory, for messages. */
export interface Conversion {
  source: string;
  input: string;
  output: string;
}

export interface ConversionPlan {
  outputDir: string;
  rate: number;
  /** Conversions still to run. */
  pending: Conversion[];
  /** Inputs whose output is already there, newer than the input and in the requested format. */
  upToDate: Conversion[];
  clashes: NameClash[];
}

export interface Failure {
  source: string;
  reason: string;
}

export interface ConvertSummary {
  converted: Conversion[];
  upToDate: Conversion[];
  failed: Failure[];
  clashes: NameClash[];
  seconds: number;
  /** What `stop` left undone (not started, or cut short): the next run converts it. */
  remaining: Conversion[];
}

export interface RunOptions {
  /** Concurrent ffmpeg processes (default: the number of cores). */
  jobs?: number;
  /** ffmpeg binary (default: locateFfmpeg()). */
  ffmpegPath?: string;
  /** Ticks as each conversion ends, successful or not, with its source. */
  progress?: StartProgress;
  /**
   * Aborting it stops the run: no new ffmpeg starts, the running ones are killed and their
   * temporary files removed; the wavs already in place stay, so a rerun converts only the rest.
   */
  stop?: AbortSignal;
}

function requireDirectory(path: string, what: string): void {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new UserError(`${what} ${path} does not exist: pass an existing directory`);
  if (!stat.isDirectory()) throw new UserError(`${what} ${path} is not a directory: pass a directory`);
}

/** True when `output` was written after `input` changed and holds what this run would write. */
function isUpToDate(input: string, output: string, rate: number): boolean {
  try {
    const written = statSync(output, { throwIfNoEntry: false });
    if (!written || written.mtimeMs < statSync(input).mtimeMs) return false;
    const header = readWavHeader(output);
    return header.audioFormat === 1 && header.channels === 1 && header.bitsPerSample === 16 && header.sampleRate === rate;
  } catch {
    // Not a wav, or a name this file system cannot hold: converting says which, as that file's failure.
    return false;
  }
}

/**
 * Lists what `convert` would do, without running ffmpeg: which inputs need converting, which
 * outputs are up to date, and which inputs lose their output name to another (see assignOutputNames).
 */
export function planConversion(options: ConvertOptions): ConversionPlan {
  const inputDir = resolve(options.input);
  const outputDir = resolve(options.output);
  const rate = options.rate ?? SAMPLE_RATE;
  requireDirectory(inputDir, 'input directory');
  if (inputDir === outputDir) throw new UserError(`--in and --out are both ${inputDir}: write the wavs to another directory`);
  prepareOutputDirectory(outputDir, '--out');
  const sources = listMediaFiles(inputDir, outputDir);
  if (sources.length === 0) {
    throw new UserError(`no audio or video files under ${inputDir} (looked for .${MEDIA_EXTENSIONS.join(', .')}): check --in`);
  }
  const { chosen, clashes } = assignOutputNames(sources);
  const plan: ConversionPlan = { outputDir, rate, pending: [], upToDate: [], clashes };
  for (const [name, source] of chosen) {
    const conversion = { source, input: join(inputDir, source), output: join(outputDir, name) };
    const fresh = !options.force && isUpToDate(conversion.input, conversion.output, rate);
    (fresh ? plan.upToDate : plan.pending).push(conversion);
  }
  return plan;
}

/** The most files one ffmpeg process converts. */
const MAX_BATCH = 8;

/**
 * Files per ffmpeg process. Starting a process costs Node a few milliseconds (fork), about a
 * sixth of ffmpeg's own work on a ten-second clip, so each process takes several files; but few
 * enough that every job gets at least four batches and none sits idle while the last one runs.
 */
export function batchSize(files: number, jobs: number): number {
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(files / (jobs * 4))));
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/**
 * Converts a batch with one ffmpeg process; why each file has no wav, or undefined. An input that
 * ffmpeg cannot open fails the whole process, so then the files go one by one, to tell which and
 * why. Never rejects: whatever goes wrong with a file is that file's reason.
 */
async function convertBatch(batch: Conversion[], options: TranscodeOptions): Promise<(string | undefined)[]> {
  try {
    return await convertFiles(batch, options);
  } catch (error) {
    if (batch.length === 1 || options.stop?.aborted) return batch.map(() => describeError(error));
  }
  const reasons: (string | undefined)[] = [];
  for (const conversion of batch) reasons.push(...(await convertBatch([conversion], options)));
  return reasons;
}

/**
 * Runs a plan's conversions, at most `jobs` ffmpeg processes at a time. A file that cannot be
 * converted (ffmpeg cannot decode it, its output name is too long, its output cannot be written)
 * is a Failure in the summary, with the reason, and the others go on; `stop` ends the run early.
 */
export async function runConversion(plan: ConversionPlan, options: RunOptions = {}): Promise<ConvertSummary> {
  const started = performance.now();
  const { stop } = options;
  const ffmpegPath = options.ffmpegPath ?? locateFfmpeg().path;
  const jobs = options.jobs ?? availableParallelism();
  const limit = pLimit(jobs);
  removeStaleTemporaries(plan.outputDir);
  const converted: Conversion[] = [];
  const failed: Failure[] = [];
  const remaining: Conversion[] = [];
  const batches = chunks(plan.pending, batchSize(plan.pending.length, jobs));
  const progress = plan.pending.length > 0 ? options.progress?.({ label: 'convert', total: plan.pending.length, unit: 'files' }) : undefined;
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        if (stop?.aborted) {
          remaining.push(...batch);
          return;
        }
        const reasons = await convertBatch(batch, { ffmpegPath, rate: plan.rate, stop });
        batch.forEach((conversion, i) => {
          // A file without its wav when the run was stopped may only have been cut short: the next run tries it again.
          if (reasons[i] !== undefined && stop?.aborted) {
            remaining.push(conversion);
            return;
          }
          const failure = reasons[i] === undefined ? undefined : { source: conversion.source, reason: reasons[i] };
          if (failure) failed.push(failure);
          else converted.push(conversion);
          progress?.tick(1, conversion.source);
        });
      }),
    ),
  );
  progress?.stop();
  const bySource = (a: { source: string }, b: { source: string }) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
  return {
    converted: converted.sort(bySource),
    upToDate: plan.upToDate,
    failed: failed.sort(bySource),
    clashes: plan.clashes,
    seconds: (performance.now() - started) / 1000,
    remaining: remaining.sort(bySource),
  };
}

/** `boiler convert` as one call: every media file under `input` to `output/<name>.wav`. */
export async function convertDirectory(options: ConvertOptions & RunOptions): Promise<ConvertSummary> {
  return runConversion(planConversion(options), options);
}
