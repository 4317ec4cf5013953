import { join } from 'node:path';
import { CLIP_SAMPLES, loadClip } from '../audio/clip.js';
import { describeError } from '../errors.js';
import type { Progress } from '../cli/progress.js';
import { clipIdentity, readCrawlPermalinks } from './coub.js';
import type { Manifest } from './manifest.js';
import type { ModelDirWriter } from './model-dir-writer.js';

/** What turns clips into embeddings: rows of 2**17 loader floats in, rows of `dimension` floats out. */
export interface ClipEncoder {
  readonly dimension: number;
  embed(wavs: Float32Array, count: number): Promise<Float32Array>;
}

export interface IndexWavsOptions {
  wavDir: string;
  batchSize: number;
  /** Seconds between commits, so that a killed run loses at most this much work. */
  commitSeconds?: number;
  progress?: (total: number) => Progress;
  /** Called for each clip that cannot be indexed, as soon as it fails. */
  onFailure?: (failure: IndexFailure) => void;
}

export interface IndexFailure {
  file: string;
  reason: string;
}

export interface IndexSummary {
  /** Wav files in the directory. */
  found: number;
  /** Indexed by an earlier run, so skipped now. */
  already: number;
  added: number;
  failed: IndexFailure[];
  /** The model directory's manifest after this run (its count: clips indexed in all). */
  manifest: Manifest;
}

interface LoadedBatch {
  files: string[];
  wavs: Float32Array;
}

/**
 * Embeds the wavs `all` (file names in `wavDir`) that the model directory does not hold yet and adds them, committing
 * every `commitSeconds` and at the end. A clip that cannot be read or embedded is reported and
 * skipped. Reading the next batch overlaps the encoder's work on the current one.
 */
export async function indexWavs(writer: ModelDirWriter, encoder: ClipEncoder, all: string[], options: IndexWavsOptions): Promise<IndexSummary> {
  const pending = all.filter((file) => !writer.has(file));
  const crawled = readCrawlPermalinks(options.wavDir);
  const failed: IndexFailure[] = [];
  const fail = (file: string, reason: string) => {
    failed.push({ file, reason });
    options.onFailure?.({ file, reason });
  };
  const progress = options.progress?.(pending.length);
  const commitMs = (options.commitSeconds ?? 30) * 1000;
  let lastCommit = Date.now();
  let added = 0;

  const load = (start: number): LoadedBatch => {
    const files: string[] = [];
    const wavs = new Float32Array(options.batchSize * CLIP_SAMPLES);
    for (const file of pending.slice(start, start + options.batchSize)) {
      if (/[\t\r\n]/.test(file)) {
        fail(file, 'the file name holds a tab or line break, which the tsv files cannot: rename it');
        progress?.tick();
        continue;
      }
      try {
        wavs.set(loadClip(join(options.wavDir, file)), files.length * CLIP_SAMPLES);
        files.push(file);
      } catch (error) {
        fail(file, describeError(error));
        progress?.tick();
      }
    }
    return { files, wavs };
  };

  let batch = load(0);
  for (let start = 0; start < pending.length; start += options.batchSize) {
    const embedding = batch.files.length ? encoder.embed(batch.wavs.subarray(0, batch.files.length * CLIP_SAMPLES), batch.files.length) : undefined;
    const current = batch;
    batch = load(start + options.batchSize);
    const embeddings = embedding ? await embedding : new Float32Array(0);
    current.files.forEach((file, i) => {
      try {
        writer.add(file, clipIdentity(file, crawled), embeddings.slice(i * encoder.dimension, (i + 1) * encoder.dimension));
        added++;
      } catch (error) {
        fail(file, describeError(error));
      }
      progress?.tick();
    });
    if (Date.now() - lastCommit >= commitMs) {
      writer.commit({ calibrate: false });
      lastCommit = Date.now();
    }
  }
  const manifest = writer.commit({ calibrate: true });
  progress?.stop();
  return { found: all.length, already: all.length - pending.length, added, failed, manifest };
}
