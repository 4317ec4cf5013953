import { describeError } from '../errors.js';
import type { Progress } from '../cli/progress.js';
import { embedWavFiles, type ClipEncoder } from './clip-embedder.js';
import { clipIdentity, readCrawlPermalinks } from './coub.js';
import type { Manifest } from './manifest.js';
import type { ModelDirWriter } from './model-dir-writer.js';


export interface IndexWavsOptions {
  wavDir: string;
  /** Windows per encoder run (a clip longer than 2**17 samples is several). */
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

/**
 * Embeds the wavs `all` (file names in `wavDir`) that the model directory does not hold yet and adds them, committing
 * every `commitSeconds` and at the end. A clip that cannot be read or embedded is reported and
 * skipped.
 */
export async function indexWavs(writer: ModelDirWriter, encoder: ClipEncoder, all: string[], options: IndexWavsOptions): Promise<IndexSummary> {
  const pending = all.filter((file) => !writer.has(file));
  const crawled = readCrawlPermalinks(options.wavDir);
  const failed: IndexFailure[] = [];
  const progress = options.progress?.(pending.length);
  const fail = (file: string, reason: string) => {
    failed.push({ file, reason });
    options.onFailure?.({ file, reason });
  };
  /** A clip left out before it reaches the encoder. */
  const skip = (file: string, reason: string) => {
    fail(file, reason);
    progress?.tick();
  };
  const commitMs = (options.commitSeconds ?? 30) * 1000;
  let lastCommit = Date.now();
  let added = 0;

  const nameable = pending.filter((file) => {
    if (/[\t\r\n]/.test(file)) skip(file, 'the file name holds a tab or line break, which the tsv files cannot: rename it');
    return !/[\t\r\n]/.test(file);
  });
  const batches = embedWavFiles(encoder, nameable, { wavDir: options.wavDir, batchSize: options.batchSize, settings: writer.embeddingSettings, onUnreadable: skip });
  for await (const batch of batches) {
    for (const { file, embedding } of batch) {
      try {
        writer.add(file, clipIdentity(file, crawled), embedding.vector);
        added++;
      } catch (error) {
        fail(file, describeError(error));
      }
      progress?.tick();
    }
    if (Date.now() - lastCommit >= commitMs) {
      writer.commit({ calibrate: false });
      lastCommit = Date.now();
    }
  }
  const manifest = writer.commit({ calibrate: true });
  progress?.stop();
  return { found: all.length, already: all.length - pending.length, added, failed, manifest };
}
