import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { removeStaleTemporaries, writeFileAtomic } from '../atomic-file.js';
import type { WindowMode } from '../audio/clip.js';
import { UserError } from '../errors.js';
import { calibrateSearch, type Calibration } from './calibrate.js';
import { clipIdentity, readCrawlPermalinks, type ClipIdentity } from './coub.js';
import { DamagedManifest, fileRecord, libraryVersions, readManifest, writeManifest } from './model-manifest.js';
import { holdsModelFiles, modelFile } from './model-dir.js';
import { DamagedFile, committedGraph, readCommitted, readLines, readVectors } from './model-index.js';
import { metadataLine, projectorConfig, tensorLine } from './projector.js';
import { readStatistics, type EmbeddingStatistics } from './standardise.js';
import { MANIFEST_FORMAT, MODEL_FILES, type EmbeddingSettings, type FileRecord, type IndexParameters, type Manifest, type ModelFile } from './types.js';
import { UNCALIBRATED, VectorIndex } from './vector-index.js';
import { makeDirectory } from '../util/make-dir.js';


function uncalibrated(): Calibration {
  return { ...UNCALIBRATED, recall: 1, exactMicros: 0, graphMicros: 0, queries: 0 };
}

/** What a model directory is built from; a rerun must match it to add to the directory. */
export interface ModelDirSettings {
  encoder: string;
  dimension: number;
  checkpoint: Manifest['checkpoint'];
  /** Whether embeddings are standardised with the directory's statistics (see standardise.ts); default no. */
  standardise?: boolean;
  /** Default `first`, as directories made before whole clips were embedded. */
  window?: WindowMode;
  parameters: IndexParameters;
  /** The wavs' directory: recorded for repairs, and where metadata.tsv's coub permalinks come from. */
  wavDir?: string;
}

/** The committed clips a writer starts from, and what it found damaged on the way (repaired at its first commit). */
interface Resumed {
  files: string[];
  urls: string[];
  vectors: Float32Array[];
  lines: string[];
  repairs: string[];
  /** The clips committed before that this run must embed again (their names, where a file still says). */
  lost?: LostClips;
}

/** Clips a repair embeds again from the wav directory: by name where clips.tsv still lists them, else by count. */
export interface LostClips {
  files?: string[];
  count: number;
}

/**
 * Adds clips to a model directory, resuming what an earlier (possibly killed) run committed and
 * repairing what is missing or damaged.
 *
 * Every file is rewritten whole under a temporary name and renamed; manifest.json goes last and
 * is the commit point: it records each file's size and sha256 (of the tsv files, the first
 * `count` lines, the only ones readers take), so a run killed between two renames leaves the
 * previous commit intact, a reader never takes a file from another commit, and the next run
 * redoes at most the clips since that commit.
 */
export class ModelDirWriter {
  readonly dir: string;
  /** What was missing or damaged when the directory was opened, each said in a line; fixed at the next commit. */
  readonly repairs: string[];
  /** Clips committed before whose embeddings were lost: a repair embeds them again, and must say which it cannot find. */
  readonly lost: LostClips | undefined;
  private readonly settings: Required<Pick<ModelDirSettings, 'standardise' | 'window'>> & ModelDirSettings;
  private readonly createdAt: string;
  private readonly files: string[];
  private readonly urls: string[];
  private readonly tensorLines: string[];
  private readonly indexed: Set<string>;
  private readonly vectors: VectorIndex;
  /** Records of the files written beside the index (the encoders, the statistics), for the next manifest. */
  private readonly encoderFiles: Partial<Record<ModelFile, FileRecord>>;
  /** The standardisation statistics committed (or about to be), when the directory is standardised. */
  private statistics: EmbeddingStatistics | undefined;
  /** The manifest last committed (or found), and whether anything changed since. */
  private committed: Manifest | undefined;
  private dirty: boolean;

  private constructor(dir: string, settings: ModelDirSettings, previous: Manifest | undefined, repairs: string[], lost: LostClips | undefined) {
    this.dir = dir;
    this.settings = { ...settings, standardise: settings.standardise ?? false, window: settings.window ?? 'first' };
    this.createdAt = previous?.createdAt ?? new Date().toISOString();
    let resumed = previous ? ModelDirWriter.resume(dir, settings, previous) : { files: [], urls: [], vectors: [], lines: [], repairs: [] };
    this.statistics = this.settings.standardise && previous ? committedStatistics(dir, previous) : undefined;
    if (this.settings.standardise && !this.statistics && resumed.files.length > 0) {
      // Clips standardised with lost statistics cannot be matched by new ones: all are embedded again.
      const lost = `${modelFile(dir, 'statistics')} is missing or damaged: its ${previous!.count} clips are embedded again, with statistics taken afresh`;
      resumed = { files: [], urls: [], vectors: [], lines: [], repairs: [...resumed.repairs, lost], lost: { files: resumed.files, count: resumed.files.length } };
    }
    this.repairs = [...repairs, ...resumed.repairs, ...(previous ? damagedEncoderFiles(dir, previous) : [])];
    this.lost = lost ?? resumed.lost;
    this.files = resumed.files;
    this.urls = resumed.urls;
    this.tensorLines = resumed.lines;
    this.indexed = new Set(this.files);
    this.encoderFiles = { encoder: previous?.files?.encoder, tfjsEncoder: previous?.files?.tfjsEncoder };
    if (this.statistics) this.encoderFiles.statistics = previous?.files?.statistics;
    // A graph built with other M or efConstruction is rebuilt with the ones asked for now.
    const sameGraph = previous?.parameters.m === settings.parameters.m && previous.parameters.efConstruction === settings.parameters.efConstruction;
    const graphFile = (sameGraph && committedGraph(dir, previous, false)) || '';
    if (sameGraph && !graphFile && resumed.files.length > 0) {
      this.repairs.push(`${modelFile(dir, 'hnsw')} is missing, damaged or from a run that did not commit: rebuilt from ${MODEL_FILES.tensors}`);
    }
    const { dimension, parameters } = settings;
    this.vectors = VectorIndex.restore({ dimension, parameters, vectors: resumed.vectors, lines: resumed.lines, graphFile, rebuild: true })!;
    if (previous && readTextOrEmpty(modelFile(dir, 'projectorConfig')) !== projectorConfig()) {
      this.repairs.push(`${modelFile(dir, 'projectorConfig')} is missing or damaged: written again`);
    }
    this.committed = previous;
    this.dirty =
      !previous ||
      this.repairs.length > 0 ||
      JSON.stringify(previous.parameters) !== JSON.stringify(settings.parameters) ||
      !this.vectors.graphWasSaved ||
      (settings.wavDir !== undefined && previous.wavDir !== settings.wavDir) ||
      hasUncommittedLines(dir, previous);
  }

  /**
   * The clips `previous` committed, as far as the files still hold them: clips.tsv and tensors.tsv
   * are the index, and when either is lost its clips are dropped, to be embedded again from the
   * wav directory; metadata.tsv is written again from clips.tsv.
   */
  private static resume(dir: string, settings: ModelDirSettings, previous: Manifest): Resumed {
    let files: string[] | undefined;
    try {
      files = readLines(dir, 'clips', previous);
      const { vectors, lines } = readVectors(dir, previous);
      try {
        return { files, urls: readLines(dir, 'metadata', previous), vectors, lines, repairs: [] };
      } catch (error) {
        if (!(error instanceof DamagedFile)) throw error;
        const crawled = settings.wavDir === undefined ? undefined : readCrawlPermalinks(settings.wavDir);
        const urls = files.map((file) => metadataLine(clipIdentity(file, crawled).label));
        return { files, urls, vectors, lines, repairs: [`${modelFile(dir, 'metadata')} is missing or damaged: written again from ${MODEL_FILES.clips}`] };
      }
    } catch (error) {
      if (!(error instanceof DamagedFile)) throw error;
      const lost = `${modelFile(dir, error.file)} is missing or damaged: its ${previous.count} clips are embedded again`;
      return { files: [], urls: [], vectors: [], lines: [], repairs: [lost], lost: { files, count: previous.count } };
    }
  }

  /** Opens `dir` to add clips: a new directory, or one indexed before with the same checkpoint and encoder. */
  static open(dir: string, settings: ModelDirSettings): ModelDirWriter {
    const repairs: string[] = [];
    let previous: Manifest | undefined;
    try {
      previous = readManifest(dir);
    } catch (error) {
      if (!(error instanceof DamagedManifest)) throw error;
      repairs.push(`${modelFile(dir, 'manifest')} is damaged: the directory is indexed afresh`);
    }
    if (previous && countDisagrees(dir, previous)) {
      repairs.push(`${modelFile(dir, 'manifest')} is damaged (its count, ${previous.count}, is not the number of clips it committed): the directory is indexed afresh`);
      previous = undefined;
    }
    if (!previous && !repairs.length && holdsModelFiles(dir)) {
      repairs.push(`${modelFile(dir, 'manifest')} is missing: the directory is indexed afresh`);
    }
    // Without a manifest, clips.tsv as it is on disk is the best account of the clips to embed again.
    const lost = previous ? undefined : uncommittedClips(dir);
    if (previous) {
      const mismatch =
        previous.encoder !== settings.encoder
          ? `encoder ${previous.encoder}`
          : previous.checkpoint?.sha256 !== settings.checkpoint?.sha256
            ? previous.checkpoint
              ? `another checkpoint (${previous.checkpoint.path}, sha256 ${previous.checkpoint.sha256.slice(0, 12)}…)`
              : 'no checkpoint'
            : previous.dimension !== settings.dimension
              ? `${previous.dimension}-dimensional embeddings`
              : Boolean(previous.standardise) !== Boolean(settings.standardise)
                ? previous.standardise ? 'standardised embeddings (--standardise)' : 'embeddings not standardised (--no-standardise)'
                : (previous.window ?? 'first') !== (settings.window ?? 'first')
                  ? previous.window === 'whole' ? 'whole clips' : 'first windows only (--first-window)'
                  : undefined;
      if (mismatch) throw new UserError(`${dir} was indexed with ${mismatch}: remove it (or move it away) to index again`);
      // A repair embeds lost clips from the one recorded wav directory: clips from a second one could not be repaired.
      if (previous.count > 0 && previous.wavDir && settings.wavDir && resolve(previous.wavDir) !== resolve(settings.wavDir)) {
        throw new UserError(
          `${dir} was indexed from ${previous.wavDir}: to index ${resolve(settings.wavDir)}, put its wavs into ${previous.wavDir} and index that, ` +
            'or index it with a copy of the checkpoint under another name (its own model directory)',
        );
      }
    }
    makeDirectory(dirname(modelFile(dir, 'tensors')));
    for (const folder of [dir, dirname(modelFile(dir, 'tensors'))]) removeStaleTemporaries(folder);
    return new ModelDirWriter(dir, settings, previous, repairs, lost);
  }

  get count(): number {
    return this.files.length;
  }

  /** Whether the wav file of this name is indexed already (a rerun skips it). */
  has(file: string): boolean {
    return this.indexed.has(file);
  }

  /** Adds a clip; an all-zero embedding is refused (thrown), since it has no cosine neighbours. */
  add(file: string, identity: ClipIdentity, embedding: Float32Array): void {
    this.vectors.add(embedding);
    this.files.push(file);
    this.urls.push(metadataLine(identity.label));
    this.tensorLines.push(tensorLine(embedding));
    this.indexed.add(file);
    this.dirty = true;
  }

  /** How clips are embedded for this directory: its window mode and, when standardised, its statistics. */
  get embeddingSettings(): EmbeddingSettings {
    return { window: this.settings.window, statistics: this.statistics };
  }

  /** Whether the directory is standardised but has no statistics yet (its first run takes them, before any clip). */
  get needsStatistics(): boolean {
    return this.settings.standardise && !this.statistics;
  }

  /** Writes the standardisation statistics beside the index, for the next commit (which must come before any clip is added). */
  setStatistics(statistics: EmbeddingStatistics): void {
    const text = JSON.stringify(statistics) + '\n';
    writeFileAtomic(modelFile(this.dir, 'statistics'), text);
    this.statistics = statistics;
    this.encoderFiles.statistics = fileRecord(text);
    this.dirty = true;
  }

  /**
   * Records an encoder file just written beside the index, for the next commit; a file equal to
   * the committed one leaves the manifest as it is.
   */
  recordEncoderFile(file: 'encoder' | 'tfjsEncoder'): void {
    const record = fileRecord(readFileSync(modelFile(this.dir, file)));
    if (JSON.stringify(record) !== JSON.stringify(this.encoderFiles[file])) this.dirty = true;
    this.encoderFiles[file] = record;
  }

  /**
   * Writes every file, the manifest last, when anything changed; returns the manifest now on
   * disk. `calibrate` (at the end of a run) chooses the search plan anew for the vectors now
   * held; intermediate commits keep the last plan, or exact search before there is one.
   */
  commit(options: { calibrate: boolean }): Manifest {
    // A run killed before its final commit left a plan that was never calibrated.
    const stale = options.calibrate && this.committed?.search.queries === 0 && this.vectors.distinct >= 2;
    if (!this.dirty && this.committed && !stale) return this.committed;
    const search = options.calibrate ? calibrateSearch(this.vectors) : (this.committed?.search ?? uncalibrated());
    const files: Partial<Record<ModelFile, FileRecord>> = { ...this.encoderFiles };
    const write = (file: ModelFile, text: string) => {
      writeFileAtomic(modelFile(this.dir, file), text);
      files[file] = fileRecord(text);
    };
    const lines = (list: string[]) => (list.length ? list.join('\n') + '\n' : '');
    write('tensors', lines(this.tensorLines));
    write('metadata', lines(this.urls));
    write('clips', lines(this.files));
    write('projectorConfig', projectorConfig());
    this.vectors.saveGraph(modelFile(this.dir, 'hnsw'));
    files.hnsw = fileRecord(readFileSync(modelFile(this.dir, 'hnsw')));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      encoder: this.settings.encoder,
      dimension: this.settings.dimension,
      count: this.count,
      distinct: this.vectors.distinct,
      checkpoint: this.settings.checkpoint,
      standardise: this.settings.standardise,
      window: this.settings.window,
      parameters: this.settings.parameters,
      search,
      wavDir: this.settings.wavDir ?? this.committed?.wavDir,
      files,
      libraries: libraryVersions(),
      createdAt: this.createdAt,
      updatedAt: new Date().toISOString(),
    };
    writeManifest(this.dir, manifest);
    this.committed = manifest;
    this.dirty = false;
    return manifest;
  }
}

/** The committed standardisation statistics, or undefined where they are missing or damaged. */
function committedStatistics(dir: string, manifest: Manifest): EmbeddingStatistics | undefined {
  try {
    return readStatistics(dir, manifest);
  } catch (error) {
    if (error instanceof DamagedFile) return undefined;
    throw error;
  }
}

/** The encoder files that are not as `manifest` committed them (missing or changed), each said in a repair line. */
function damagedEncoderFiles(dir: string, manifest: Manifest): string[] {
  return (['encoder', 'tfjsEncoder'] as const)
    .filter((file) => {
      const record = manifest.files?.[file];
      if (!record || !existsSync(modelFile(dir, file))) return record !== undefined;
      return JSON.stringify(fileRecord(readFileSync(modelFile(dir, file)))) !== JSON.stringify(record);
    })
    .map((file) => `${modelFile(dir, file)} is missing or damaged: written again`);
}

/** Whether clips.tsv, intact, commits another number of lines than the manifest's count (which was then edited). */
function countDisagrees(dir: string, manifest: Manifest): boolean {
  if (!manifest.files?.clips) return false;
  try {
    return readCommitted(dir, 'clips', manifest).toString('utf8').split('\n').length - 1 !== manifest.count;
  } catch (error) {
    // A damaged clips.tsv is repaired as such.
    if (error instanceof DamagedFile) return false;
    throw error;
  }
}

/** Whether a tsv file holds lines past those committed (left by a run that did not commit, or added by hand): rewritten. */
function hasUncommittedLines(dir: string, manifest: Manifest): boolean {
  return (['clips', 'metadata', 'tensors'] as const).some((file) => {
    const record = manifest.files?.[file];
    const bytes = statSync(modelFile(dir, file), { throwIfNoEntry: false })?.size;
    return record !== undefined && bytes !== undefined && bytes > record.bytes;
  });
}

/** The clips clips.tsv lists, committed or not, where there is no manifest to count them. */
function uncommittedClips(dir: string): LostClips | undefined {
  const files = readTextOrEmpty(modelFile(dir, 'clips')).split('\n').filter(Boolean);
  return files.length ? { files, count: files.length } : undefined;
}

/** A small file's text, or '' where it cannot be read. */
function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
