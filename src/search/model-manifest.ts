import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../atomic-file.js';
import { UserError } from '../errors.js';
import { modelFile } from './model-dir.js';
import { shellWord } from './shell-word.js';
import { MANIFEST_FORMAT, type FileRecord, type Manifest } from './types.js';

// Re-exported where the library's entry point and earlier users import them from.
export type { IndexParameters, Manifest } from './types.js';

/** `boiler index`'s graph flags when not given: a repair command leaves them out. */
export const DEFAULT_GRAPH_PARAMETERS = { m: 16, efConstruction: 200 } as const;

export function fileRecord(data: Uint8Array | string): FileRecord {
  return { bytes: Buffer.byteLength(data), sha256: createHash('sha256').update(data).digest('hex') };
}

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
