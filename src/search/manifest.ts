import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../atomic-file.js';
import { UserError } from '../errors.js';
import type { Calibration } from './calibrate.js';
import { modelFile } from './model-dir.js';

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
  checkpoint: { path: string; sha256: string };
  parameters: IndexParameters;
  /** How readers search by default, as calibrated on this index's vectors (query's --ef overrides it). */
  search: Calibration;
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
    throw new UserError(`${path} is not valid JSON (${(error as Error).message}): remove the model directory and run boiler index again`);
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Number.isInteger(manifest.count) || !Number.isInteger(manifest.dimension) || !manifest.search) {
    throw new UserError(`${path} is not a ${MANIFEST_FORMAT} manifest: remove the model directory and run boiler index again`);
  }
  return manifest;
}

/** Written last: the manifest is the commit point that makes the files beside it count. */
export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomic(modelFile(dir, 'manifest'), JSON.stringify(manifest, null, 2) + '\n');
}
