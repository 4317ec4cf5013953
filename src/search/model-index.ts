import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { coubIdOfLabel } from './coub.js';
import { fileRecord, readManifest, repairAdvice } from './model-manifest.js';
import { missingManifestAdvice, modelFile } from './model-dir.js';
import { MODEL_FILES, type Manifest, type ModelFile } from './types.js';
import { parseTensorLine } from './projector.js';
import { VectorIndex } from './vector-index.js';

/** How many commits landing one after another a reader follows before it takes a mismatch for damage. */
const COMMITS_TO_FOLLOW = 3;

/** One indexed clip: where it came from and what results call it. */
export interface ClipRecord {
  /** The wav file name in the indexed directory. */
  file: string;
  /** The metadata.tsv line: `https://coub.com/view/<permalink>` or the file name. */
  url: string;
  /** The permalink, or the file name for a clip that is not a coub. */
  coubId: string;
}

/** A search result as `boiler query` prints it and the API answers it. */
export interface Match {
  rank: number;
  distance: number;
  coubId: string;
  url: string;
}

/** A file of a model directory that is missing or does not hold what the manifest committed. */
export class DamagedFile extends UserError {
  readonly file: ModelFile;

  constructor(file: ModelFile, message: string) {
    super(message);
    this.file = file;
  }
}

/**
 * The bytes of a model-directory file that the manifest committed, checked against its record
 * (for a tsv file, the first `count` lines: later lines belong to a run that has not committed).
 * Throws DamagedFile, naming the file and the command that repairs it.
 */
export function readCommitted(dir: string, file: ModelFile, manifest: Manifest): Buffer {
  const path = modelFile(dir, file);
  const record = manifest.files?.[file];
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new DamagedFile(file, `cannot read ${path} (${code}): ${repairAdvice(manifest)}`);
  }
  if (!record) return bytes;
  const committed = bytes.subarray(0, record.bytes);
  if (committed.length < record.bytes) {
    throw new DamagedFile(file, `${path} is cut short (${bytes.length} of the ${record.bytes} bytes ${MODEL_FILES.manifest} committed): ${repairAdvice(manifest)}`);
  }
  if (fileRecord(committed).sha256 !== record.sha256) {
    throw new DamagedFile(file, `${path} is damaged (it does not hold what ${MODEL_FILES.manifest} committed): ${repairAdvice(manifest)}`);
  }
  return committed;
}

/**
 * The first `count` lines of a model-directory tsv file. Lines past `count` belong to a run that
 * was interrupted before it committed its manifest, and are ignored.
 */
export function readLines(dir: string, file: ModelFile, manifest: Manifest): string[] {
  const { count } = manifest;
  if (count === 0 && !existsSync(modelFile(dir, file))) return [];
  const lines = readCommitted(dir, file, manifest).toString('utf8').split('\n').slice(0, count);
  if (lines.length < count || (count > 0 && lines[count - 1] === '')) {
    const path = modelFile(dir, file);
    throw new DamagedFile(file, `${path} has fewer than the ${count} lines that ${MODEL_FILES.manifest} counts: ${repairAdvice(manifest)}`);
  }
  return lines;
}

/** The committed vectors of tensors.tsv, with their lines. */
export function readVectors(dir: string, manifest: Manifest): { vectors: Float32Array[]; lines: string[] } {
  const tensorsPath = modelFile(dir, 'tensors');
  const lines = readLines(dir, 'tensors', manifest);
  try {
    return { vectors: lines.map((line, i) => parseTensorLine(line, manifest.dimension, `${tensorsPath}:${i + 1}`)), lines };
  } catch (error) {
    throw new DamagedFile('tensors', `${(error as Error).message}: ${repairAdvice(manifest)}`);
  }
}

/** The clips and vectors a manifest commits to, read back from the model directory's files. */
export function readIndexedClips(dir: string, manifest: Manifest): { clips: ClipRecord[]; vectors: Float32Array[]; lines: string[] } {
  const files = readLines(dir, 'clips', manifest);
  const urls = readLines(dir, 'metadata', manifest);
  const { vectors, lines } = readVectors(dir, manifest);
  const clips = files.map((file, i) => ({ file, url: urls[i], coubId: coubIdOfLabel(urls[i]) }));
  return { clips, vectors, lines };
}

/** The graph file, when the manifest committed it as it is on disk (undefined otherwise, DamagedFile when `strict`). */
export function committedGraph(dir: string, manifest: Manifest, strict: boolean): string | undefined {
  try {
    readCommitted(dir, 'hnsw', manifest);
    return modelFile(dir, 'hnsw');
  } catch (error) {
    if (strict || !(error instanceof DamagedFile)) throw error;
    return undefined;
  }
}

/** A model directory opened for search: its clips, their vectors and the graph, loaded once. */
export class ModelIndex {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly clips: ClipRecord[];
  readonly vectors: VectorIndex;
  private readonly clipOfCoubId: Map<string, number>;

  constructor(dir: string, manifest: Manifest, clips: ClipRecord[], vectors: VectorIndex) {
    this.dir = dir;
    this.manifest = manifest;
    this.clips = clips;
    this.vectors = vectors;
    this.clipOfCoubId = new Map(clips.map((clip, i) => [clip.coubId, i]));
  }

  /** Opens a model directory that `boiler index` finished; an unfinished, damaged or empty one is a UserError. */
  static open(dir: string): ModelIndex {
    // A file that does not match the manifest may be a commit landing meanwhile: read that commit then.
    for (let attempt = 1; ; attempt++) {
      const manifest = readManifest(dir);
      if (!manifest) throw new UserError(`${dir} is not a model directory (no ${MODEL_FILES.manifest}): ${missingManifestAdvice(dir)}`);
      try {
        return ModelIndex.openCommit(dir, manifest);
      } catch (error) {
        if (!(error instanceof DamagedFile) || attempt === COMMITS_TO_FOLLOW || readManifest(dir)?.updatedAt === manifest.updatedAt) throw error;
      }
    }
  }

  private static openCommit(dir: string, manifest: Manifest): ModelIndex {
    if (manifest.count === 0) throw new UserError(`${dir} holds no clips, so nothing can be found in it: run boiler index on wavs it can read`);
    const { clips, vectors, lines } = readIndexedClips(dir, manifest);
    const { dimension, parameters } = manifest;
    const graphFile = committedGraph(dir, manifest, true)!;
    const index = VectorIndex.restore({ dimension, parameters, vectors, lines, graphFile, rebuild: false });
    if (!index || index.distinct !== manifest.distinct) {
      throw new DamagedFile('hnsw', `${graphFile} does not match ${MODEL_FILES.manifest}: ${repairAdvice(manifest)}`);
    }
    index.plan = manifest.search;
    return new ModelIndex(dir, manifest, clips, index);
  }

  /** The clip with this permalink (or file name, for a clip that is not a coub). */
  findClip(coubId: string): number | undefined {
    return this.clipOfCoubId.get(coubId);
  }

  /** The `k` clips nearest to `query`, as results; `exclude` leaves one clip out (the query's own). */
  nearest(query: ArrayLike<number>, k: number, options: { ef?: number; exclude?: number } = {}): Match[] {
    return this.vectors.search(query, k, options).map(({ clip, distance }, i) => ({
      rank: i + 1,
      distance,
      coubId: this.clips[clip].coubId,
      url: this.clips[clip].url,
    }));
  }
}
