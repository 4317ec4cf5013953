import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { parseSafetensors, writeSafetensors, type TensorMap } from '../model/safetensors.js';
import { readUserFile } from '../util/read-file.js';
import type { Adam } from './adam.js';

/**
 * Checkpoints: after every epoch, `SAVE/vqvae_NNN.safetensors` holds the weights exactly as the
 * original's PyTorch state_dict (names, layouts; loadable by both implementations), and
 * `SAVE/vqvae_NNN.optim.safetensors` beside it holds what resuming needs: Adam's moments
 * (`exp_avg.<param>`, `exp_avg_sq.<param>`, in boiler's tfjs layouts) and, as metadata, the step,
 * epoch and the run's settings. The optimiser file is written first and the weights last, each
 * atomically, so a weights file on disk always has its optimiser state beside it.
 *
 * A run stopped mid-epoch (Ctrl-C, --max-steps) writes `SAVE/vqvae_NNN.partial.safetensors` (and
 * its `.partial.optim.safetensors`): epoch NNN in progress, with `epochStep` batches of it done,
 * so that a rerun continues at the next batch. It sorts between epoch NNN−1 and epoch NNN.
 */

export interface RunState {
  /** Epochs completed (the NNN of the file name). */
  epoch: number;
  /** Optimiser steps taken (the OneCycle schedule's position). */
  step: number;
  /** Batches of epoch `epoch + 1` already trained: 0 at an epoch's end, more in a partial checkpoint. */
  epochStep: number;
  seed: number;
  preset: string;
  totalSteps: number;
}

/** The checkpoint most users want by default, and the disk it costs: see `boiler train --keep`. */
export const DEFAULT_KEEP = 3;

export function checkpointPath(saveDir: string, epoch: number): string {
  return join(saveDir, `vqvae_${String(epoch).padStart(3, '0')}.safetensors`);
}

function partialCheckpointPath(saveDir: string, epoch: number): string {
  return join(saveDir, `vqvae_${String(epoch).padStart(3, '0')}.partial.safetensors`);
}

function optimiserPath(weightsPath: string): string {
  return weightsPath.replace(/\.safetensors$/, '.optim.safetensors');
}

interface CheckpointFiles {
  /** The weights file (present or not: pruning also finds an optimiser file left alone). */
  path: string;
  epoch: number;
  partial: boolean;
  /** Position in training: epoch NNN's partial checkpoint comes after epoch NNN−1 and before epoch NNN. */
  rank: number;
}

/** Every checkpoint in `saveDir` of which the weights or the optimiser file is there, oldest first. */
function checkpointsIn(saveDir: string): CheckpointFiles[] {
  if (!existsSync(saveDir)) return [];
  const found = new Map<string, CheckpointFiles>();
  for (const name of readdirSync(saveDir)) {
    const match = /^vqvae_(\d+)(\.partial)?(\.optim)?\.safetensors$/.exec(name);
    if (!match) continue;
    const epoch = Number(match[1]);
    const partial = match[2] !== undefined;
    const path = partial ? partialCheckpointPath(saveDir, epoch) : checkpointPath(saveDir, epoch);
    found.set(path, { path, epoch, partial, rank: 2 * epoch - (partial ? 1 : 0) });
  }
  return [...found.values()].sort((a, b) => a.rank - b.rank);
}

/** The complete checkpoints in `saveDir` (weights with optimiser state beside them), newest first. */
function resumableCheckpoints(saveDir: string): string[] {
  return checkpointsIn(saveDir)
    .filter(({ path }) => existsSync(path) && existsSync(optimiserPath(path)))
    .map(({ path }) => path)
    .reverse();
}

/** A checkpoint whose weights or optimiser file cannot be parsed: truncated, or not safetensors at all. */
export class DamagedCheckpoint extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path} is damaged (${reason})`);
  }
}

/** Parses one file of a checkpoint; a file that cannot be read stays a plain UserError, one that cannot be parsed is damage. */
function readCheckpointFile(checkpoint: string, file: string): ReturnType<typeof parseSafetensors> {
  const bytes = readUserFile(file);
  try {
    return parseSafetensors(bytes, basename(file));
  } catch (error) {
    throw new DamagedCheckpoint(checkpoint, (error as Error).message);
  }
}

/**
 * Writes the checkpoint of `state` (a partial one when `state.epochStep` > 0) and reads it back,
 * with `trainerState` (more named tensors a resumed run needs, such as codebook usage) beside Adam's moments,
 * so that the caller may prune older ones only once this one is known to load. Returns its path.
 */
export function saveCheckpoint(saveDir: string, weights: TensorMap, adam: Adam, state: RunState, trainerState: TensorMap = new Map()): string {
  const path = state.epochStep > 0 ? partialCheckpointPath(saveDir, state.epoch + 1) : checkpointPath(saveDir, state.epoch);
  const moments: TensorMap = new Map(trainerState);
  for (const [key, variable] of adam.state()) {
    moments.set(key, { dtype: 'F32', shape: variable.shape, data: variable.dataSync() as Float32Array });
  }
  const runMetadata = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, String(v)]));
  writeSafetensors(optimiserPath(path), moments, { ...runMetadata, layout: 'tfjs' });
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  writeSafetensors(path, weights, { format: 'pt', parameters: String(parameters), preset: state.preset, epoch: String(state.epoch) });
  loadCheckpoint(path);
  return path;
}

export interface LoadedCheckpoint {
  weights: TensorMap;
  /** Present when the optimiser file sits beside the weights: the run can resume exactly. */
  resume?: { state: RunState; moments: Map<string, Float32Array> };
}

/**
 * Reads a checkpoint, and its optimiser state when there is one (a PyTorch checkpoint has none).
 * Throws DamagedCheckpoint when either file is truncated or not safetensors.
 */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  if (!existsSync(path)) throw new UserError(`checkpoint ${path} does not exist`);
  const weights = readCheckpointFile(path, path).tensors;
  const optim = optimiserPath(path);
  if (!existsSync(optim)) return { weights };
  const { tensors, metadata } = readCheckpointFile(path, optim);
  const number = (key: string, fallback?: number) => {
    const value = Number(metadata[key] ?? fallback);
    if (!Number.isFinite(value)) throw new DamagedCheckpoint(path, `${basename(optim)} lacks '${key}'`);
    return value;
  };
  const state: RunState = {
    epoch: number('epoch'),
    step: number('step'),
    // Checkpoints from before partial ones existed were all written at an epoch's end.
    epochStep: number('epochStep', 0),
    seed: number('seed'),
    totalSteps: number('totalSteps'),
    preset: metadata.preset ?? '',
  };
  const moments = new Map<string, Float32Array>();
  for (const [key, t] of tensors) moments.set(key, t.data as Float32Array);
  return { weights, resume: { state, moments } };
}

export interface ResumePoint {
  path: string;
  loaded: LoadedCheckpoint;
  /** Newer checkpoints passed over because they are damaged, newest first. */
  damaged: DamagedCheckpoint[];
}

/** The newest checkpoint in `saveDir` that loads, passing over damaged newer ones; undefined when there is none. */
export function newestGoodCheckpoint(saveDir: string, except?: string): ResumePoint | undefined {
  const damaged: DamagedCheckpoint[] = [];
  for (const path of resumableCheckpoints(saveDir)) {
    if (path === except) continue;
    try {
      return { path, loaded: loadCheckpoint(path), damaged };
    } catch (error) {
      if (!(error instanceof DamagedCheckpoint)) throw error;
      damaged.push(error);
    }
  }
  if (damaged.length > 0) {
    throw new UserError(`every checkpoint in ${saveDir} is damaged (newest: ${damaged[0].reason}): move them away to train from scratch`);
  }
  return undefined;
}

/**
 * Loads the checkpoint the user named; when it is damaged, the error names the newest good one
 * beside it, to pass instead.
 */
export function loadNamedCheckpoint(path: string): LoadedCheckpoint {
  try {
    return loadCheckpoint(path);
  } catch (error) {
    if (!(error instanceof DamagedCheckpoint)) throw error;
    let instead: string | undefined;
    try {
      instead = newestGoodCheckpoint(dirname(path), path)?.path;
    } catch {
      // Every other checkpoint there is damaged too: there is nothing to suggest.
    }
    throw new UserError(instead ? `${error.message}: pass --load-path ${instead} instead` : error.message);
  }
}

export interface PruneOptions {
  /** Complete epochs to keep, the newest ones up to the checkpoint just written (at least 1). */
  keep: number;
  /** Epochs kept whatever their age. */
  keepEpochs?: readonly number[];
}

/**
 * Deletes the checkpoints older than `newest` (just written and read back) beyond the newest
 * `keep` complete epochs, except the epochs named in `keepEpochs`; partial checkpoints older than
 * `newest` are superseded by it. Checkpoints after `newest` (of another run) are left alone.
 * Returns the weights paths removed.
 */
export function pruneCheckpoints(saveDir: string, newest: string, options: PruneOptions): string[] {
  const all = checkpointsIn(saveDir);
  const newestRank = all.find(({ path }) => path === newest)?.rank;
  if (newestRank === undefined) return [];
  const older = all.filter(({ rank }) => rank <= newestRank).reverse();
  const keptEpochs = older.filter(({ partial }) => !partial).slice(0, options.keep).map(({ epoch }) => epoch);
  const removed = older.filter(
    ({ path, epoch, partial }) => path !== newest && (partial || !(keptEpochs.includes(epoch) || options.keepEpochs?.includes(epoch))),
  );
  for (const { path } of removed) {
    // The weights first: an optimiser file alone is never taken for a checkpoint, and the next prune removes it.
    rmSync(path, { force: true });
    rmSync(optimiserPath(path), { force: true });
  }
  return removed.map(({ path }) => path);
}
