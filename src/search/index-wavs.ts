import { describeError, UserError } from '../errors.js';
import { embedWavFiles } from './clip-embedder.js';
import { clipIdentity, readCrawlPermalinks } from './coub.js';
import type { ModelDirWriter } from './model-dir-writer.js';
import type { StartProgress } from '../progress.js';
import { MODEL_FILES, type ClipEncoder, type Manifest } from './types.js';


export interface IndexWavsOptions {
  wavDir: string;
  /** Windows per encoder run (a clip longer than 2**17 samples is several). */
  batchSize: number;
  /** Seconds between commits, so that a killed run loses at most this much work. */
  commitSeconds?: number;
  /** Ticks once per clip embedded or skipped. */
  progress?: StartProgress;
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

/** A run in which every wav failed: an error rather than an empty model directory. */
export class NothingIndexed extends UserError {}

/**
 * Embeds the wavs `all` (file names in `wavDir`) that the model directory does not hold yet and adds them, committing
 * every `commitSeconds` and at the end. A clip that cannot be read or embedded is reported and
 * skipped.
 */
export async function indexWavs(writer: ModelDirWriter, encoder: ClipEncoder, all: string[], options: IndexWavsOptions): Promise<IndexSummary> {
  const pending = all.filter((file) => !writer.has(file));
  const crawled = readCrawlPermalinks(options.wavDir);
  const failed: IndexFailure[] = [];
  const progress = options.progress?.({ label: 'index', total: pending.length, unit: 'clips' });
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
  progress?.stop();
  if (writer.count === 0 && failed.length > 0) {
    const [first] = failed;
    throw new NothingIndexed(
      `none of the ${all.length} wavs in ${options.wavDir} could be indexed (${first.file}: ${first.reason}${failed.length > 1 ? ', …' : ''}): ` +
        'convert the media again with boiler convert',
    );
  }
  failLostClips(writer, all, options.wavDir, fail);
  const manifest = writer.commit({ calibrate: true });
  return { found: all.length, already: all.length - pending.length, added, failed, manifest };
}

/**
 * A repair embeds lost clips again from the wav directory; those it cannot find there are failures,
 * by name where clips.tsv still listed them, else by how many are missing.
 */
function failLostClips(writer: ModelDirWriter, all: string[], wavDir: string, fail: (file: string, reason: string) => void): void {
  if (!writer.lost) return;
  const { files, count } = writer.lost;
  if (files) {
    const listed = new Set(all);
    for (const file of files.filter((file) => !listed.has(file))) {
      fail(file, `indexed before, but its embedding was lost and it is no longer in ${wavDir}: put it back there and run again to index it`);
    }
  } else if (writer.count < count) {
    fail(MODEL_FILES.clips, `${count - writer.count} of the ${count} clips indexed before were lost and are not in ${wavDir}: put their wavs back there and run again`);
  }
}
