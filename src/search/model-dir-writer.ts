import { dirname } from 'node:path';
import { removeStaleTemporaries, writeFileAtomic } from '../atomic-file.js';
import { UserError } from '../errors.js';
import { calibrateSearch, type Calibration } from './calibrate.js';
import type { ClipIdentity } from './coub.js';
import { MANIFEST_FORMAT, libraryVersions, readManifest, writeManifest, type IndexParameters, type Manifest } from './manifest.js';
import { modelFile } from './model-dir.js';
import { readIndexedClips } from './model-index.js';
import { metadataLine, projectorConfig, tensorLine } from './projector.js';
import { UNCALIBRATED, VectorIndex } from './vector-index.js';
import { makeDirectory } from '../util/make-dir.js';


function uncalibrated(): Calibration {
  return { ...UNCALIBRATED, recall: 1, exactMicros: 0, graphMicros: 0, queries: 0 };
}

/** What a model directory is built from; a rerun must match it to add to the directory. */
export interface ModelDirSettings {
  encoder: string;
  dimension: number;
  checkpoint: { path: string; sha256: string };
  parameters: IndexParameters;
}

/**
 * Adds clips to a model directory, resuming what an earlier (possibly killed) run committed.
 *
 * Every file is rewritten whole under a temporary name and renamed; manifest.json goes last and
 * is the commit point: readers take only the first `count` lines of the tsv files, so a run
 * killed between two renames leaves the previous commit intact, and the next run redoes at most
 * the clips since that commit.
 */
export class ModelDirWriter {
  readonly dir: string;
  private readonly settings: ModelDirSettings;
  private readonly createdAt: string;
  private readonly files: string[];
  private readonly urls: string[];
  private readonly tensorLines: string[];
  private readonly indexed: Set<string>;
  private readonly vectors: VectorIndex;
  /** The manifest last committed (or found), and whether anything changed since. */
  private committed: Manifest | undefined;
  private dirty: boolean;

  private constructor(dir: string, settings: ModelDirSettings, previous: Manifest | undefined) {
    this.dir = dir;
    this.settings = settings;
    this.createdAt = previous?.createdAt ?? new Date().toISOString();
    const { clips, vectors, lines } = previous ? readIndexedClips(dir, previous) : { clips: [], vectors: [], lines: [] };
    this.files = clips.map((clip) => clip.file);
    this.urls = clips.map((clip) => clip.url);
    this.tensorLines = lines;
    this.indexed = new Set(this.files);
    // A graph built with other M or efConstruction is rebuilt with the ones asked for now.
    const sameGraph = previous?.parameters.m === settings.parameters.m && previous.parameters.efConstruction === settings.parameters.efConstruction;
    const graphFile = sameGraph ? modelFile(dir, 'hnsw') : '';
    const { dimension, parameters } = settings;
    this.vectors = VectorIndex.restore({ dimension, parameters, vectors, lines, graphFile, rebuild: true })!;
    this.committed = previous;
    this.dirty = !previous || JSON.stringify(previous.parameters) !== JSON.stringify(settings.parameters) || !this.vectors.graphWasSaved;
  }

  /** Opens `dir` to add clips: a new directory, or one indexed before with the same checkpoint and encoder. */
  static open(dir: string, settings: ModelDirSettings): ModelDirWriter {
    const previous = readManifest(dir);
    if (previous) {
      const mismatch =
        previous.encoder !== settings.encoder
          ? `encoder ${previous.encoder}`
          : previous.checkpoint.sha256 !== settings.checkpoint.sha256
            ? `another checkpoint (${previous.checkpoint.path}, sha256 ${previous.checkpoint.sha256.slice(0, 12)}…)`
            : previous.dimension !== settings.dimension
              ? `${previous.dimension}-dimensional embeddings`
              : undefined;
      if (mismatch) throw new UserError(`${dir} was indexed with ${mismatch}: remove it (or move it away) to index again`);
    }
    makeDirectory(dirname(modelFile(dir, 'tensors')));
    for (const folder of [dir, dirname(modelFile(dir, 'tensors'))]) removeStaleTemporaries(folder);
    return new ModelDirWriter(dir, settings, previous);
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
    const lines = (list: string[]) => (list.length ? list.join('\n') + '\n' : '');
    writeFileAtomic(modelFile(this.dir, 'tensors'), lines(this.tensorLines));
    writeFileAtomic(modelFile(this.dir, 'metadata'), lines(this.urls));
    writeFileAtomic(modelFile(this.dir, 'clips'), lines(this.files));
    writeFileAtomic(modelFile(this.dir, 'projectorConfig'), projectorConfig());
    this.vectors.saveGraph(modelFile(this.dir, 'hnsw'));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      encoder: this.settings.encoder,
      dimension: this.settings.dimension,
      count: this.count,
      distinct: this.vectors.distinct,
      checkpoint: this.settings.checkpoint,
      parameters: this.settings.parameters,
      search,
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
