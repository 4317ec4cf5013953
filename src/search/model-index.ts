import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { coubIdOfLabel } from './coub.js';
import { readManifest, type Manifest } from './manifest.js';
import { MODEL_FILES, modelFile, type ModelFile } from './model-dir.js';
import { parseTensorLine } from './projector.js';
import { VectorIndex } from './vector-index.js';

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

/**
 * The first `count` lines of a model-directory file. Lines past `count` belong to a run that was
 * interrupted before it committed its manifest, and are ignored.
 */
export function readLines(dir: string, file: ModelFile, count: number): string[] {
  const path = modelFile(dir, file);
  if (count === 0 && !existsSync(path)) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): run boiler index again to rewrite it`);
  }
  const lines = text.split('\n').slice(0, count);
  if (lines.length < count || (count > 0 && lines[count - 1] === '')) {
    throw new UserError(`${path} has fewer than the ${count} lines that ${MODEL_FILES.manifest} counts: run boiler index again to rewrite it`);
  }
  return lines;
}

/** The clips and vectors a manifest commits to, read back from the model directory's files. */
export function readIndexedClips(dir: string, manifest: Manifest): { clips: ClipRecord[]; vectors: Float32Array[]; lines: string[] } {
  const files = readLines(dir, 'clips', manifest.count);
  const urls = readLines(dir, 'metadata', manifest.count);
  const tensorsPath = modelFile(dir, 'tensors');
  const lines = readLines(dir, 'tensors', manifest.count);
  let vectors: Float32Array[];
  try {
    vectors = lines.map((line, i) => parseTensorLine(line, manifest.dimension, `${tensorsPath}:${i + 1}`));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${(error as Error).message}: run boiler index again to rewrite it`);
  }
  const clips = files.map((file, i) => ({ file, url: urls[i], coubId: coubIdOfLabel(urls[i]) }));
  return { clips, vectors, lines };
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
    const manifest = readManifest(dir);
    if (!manifest) throw new UserError(`${dir} is not a model directory (no ${MODEL_FILES.manifest}): run boiler index to make one`);
    if (manifest.count === 0) throw new UserError(`${dir} holds no clips, so nothing can be found in it: run boiler index on wavs it can read`);
    const { clips, vectors, lines } = readIndexedClips(dir, manifest);
    const { dimension, parameters } = manifest;
    const index = VectorIndex.restore({ dimension, parameters, vectors, lines, graphFile: modelFile(dir, 'hnsw'), rebuild: false });
    if (!index || index.distinct !== manifest.distinct) {
      throw new UserError(`the index in ${dir} does not match its ${MODEL_FILES.manifest}: run boiler index again to finish it`);
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
