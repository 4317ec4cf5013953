import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../atomic-file.js';
import type { WindowMode } from '../audio/clip.js';
import { UserError } from '../errors.js';
import type { Calibration } from './calibrate.js';
import { modelFile, type ModelFile } from './model-dir.js';
import { shellWord } from './shell-word.js';

/** `boiler index`'s graph flags when not given: a repair command leaves them out. */
export const DEFAULT_GRAPH_PARAMETERS = { m: 16, efConstruction: 200 } as const;

/**
 * What a commit wrote to one file: its length in bytes and sha256. For a tsv file, of its first
 * `count` lines only: lines after them belong to a later run that has not committed yet.
 */
export interface FileRecord {
  bytes: number;
  sha256: string;
}

export function fileRecord(data: Uint8Array | string): FileRecord {
  return { bytes: Buffer.byteLength(data), sha256: createHash('sha256').update(data).digest('hex') };
}

/** How the index is built; stored so that a rerun adds to the same graph. */
export interface IndexParameters {
  space: 'cosine';
  /** hnswlib's M: links per node. */
  m: number;
  efConstruction: number;
  batchSize: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  encoder: string;
  dimension: number;
  /** Clips indexed: lines of clips.tsv, metadata.tsv and tensors.tsv that belong to the index. */
  count: number;
  /** Distinct embeddings among them: the points of the hnsw index (duplicates are stored once). */
  distinct: number;
  /** The weights the encoder was compiled from; null for an encoder that needs none (mfcc). */
  checkpoint: { path: string; sha256: string } | null;
  /**
   * Whether every embedding (indexed, or of query audio) is standardised with the statistics in
   * standardisation.json. Older manifests lack it: not standardised.
   */
  standardise?: boolean;
  /** Which audio of a clip is embedded: its first 2**17 samples, or all of it window by window. Older manifests lack it: first. */
  window?: WindowMode;
  parameters: IndexParameters;
  /** How readers search by default, as calibrated on this index's vectors (query's --ef overrides it). */
  search: Calibration;
  /** The wav directory of the last run (absolute): where a repair embeds lost clips again. */
  wavDir?: string;
  /**
   * Each file the commit wrote, checked by readers so that a damaged file, or one from another
   * commit, is named instead of read. Older manifests lack it; readers then check line counts only.
   */
  files?: Partial<Record<ModelFile, FileRecord>>;
  libraries: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export const MANIFEST_FORMAT = 'boiler-model-dir/1';

/** Versions of what produced the files, for anyone who has to reproduce or debug a model directory. */
export function libraryVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const versions: Record<string, string> = { node: process.version };
  for (const name of ['boiler', 'hnswlib-node', 'onnxruntime-node']) {
    const path = name === 'boiler' ? '../../package.json' : `${name}/package.json`;
    try {
      versions[name] = (require(path) as { version: string }).version;
    } catch {
      versions[name] = 'unknown';
    }
  }
  return versions;
}

/** The manifest of a model directory, or undefined where there is none yet. */
export function readManifest(dir: string): Manifest | undefined {
  const path = modelFile(dir, 'manifest');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (error) {
    throw new DamagedManifest(`${path} is not valid JSON (${(error as Error).message}): ${REBUILD_ADVICE}`);
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Number.isInteger(manifest.count) || !Number.isInteger(manifest.dimension) || !manifest.search) {
    throw new DamagedManifest(`${path} is not a ${MANIFEST_FORMAT} manifest: ${REBUILD_ADVICE}`);
  }
  return manifest;
}

const REBUILD_ADVICE = 'run boiler index again with the --wav-dir and --checkpoint that made the directory, to rebuild it';

/** A manifest.json that is there but cannot be used: `boiler index` starts the directory afresh. */
export class DamagedManifest extends UserError {}

/** The `boiler index` command line that made a model directory, as far as its manifest recorded it. */
export function indexCommandLine(manifest: Manifest): string {
  const words = ['boiler', 'index'];
  if (manifest.wavDir) words.push('--wav-dir', shellWord(manifest.wavDir));
  if (manifest.checkpoint) words.push('--checkpoint', shellWord(manifest.checkpoint.path));
  words.push(manifest.encoder);
  if (manifest.parameters.m !== DEFAULT_GRAPH_PARAMETERS.m) words.push('--m', String(manifest.parameters.m));
  if (manifest.parameters.efConstruction !== DEFAULT_GRAPH_PARAMETERS.efConstruction) {
    words.push('--ef-construction', String(manifest.parameters.efConstruction));
  }
  return words.join(' ');
}

/** What a reader tells a user whose model directory has a missing or damaged file: the rerun that repairs it. */
export function repairAdvice(manifest: Manifest): string {
  const command = indexCommandLine(manifest);
  return manifest.wavDir ? `run ${command} to repair it` : `run ${command} again, with the --wav-dir it was made from, to repair it`;
}

/** Written last: the manifest is the commit point that makes the files beside it count. */
export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomic(modelFile(dir, 'manifest'), JSON.stringify(manifest, null, 2) + '\n');
}
