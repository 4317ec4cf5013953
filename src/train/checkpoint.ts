import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { readSafetensors, writeSafetensors, type TensorMap } from '../model/safetensors.js';
import type { Adam } from './adam.js';

/**
 * Checkpoints: after every epoch, `SAVE/vqvae_NNN.safetensors` holds the weights exactly as the
 * original's PyTorch state_dict (names, layouts; loadable by both implementations), and
 * `SAVE/vqvae_NNN.optim.safetensors` beside it holds what resuming needs: Adam's moments
 * (`exp_avg.<param>`, `exp_avg_sq.<param>`, in boiler's tfjs layouts) and, as metadata, the step,
 * epoch and the run's settings. The optimiser file is written first and the weights last, each
 * atomically, so a weights file on disk always has its optimiser state beside it.
 */

export interface RunState {
  /** Epochs completed (the NNN of the file name). */
  epoch: number;
  /** Optimiser steps taken (the OneCycle schedule's position). */
  step: number;
  seed: number;
  preset: string;
  totalSteps: number;
}

export function checkpointPath(saveDir: string, epoch: number): string {
  return join(saveDir, `vqvae_${String(epoch).padStart(3, '0')}.safetensors`);
}

function optimiserPath(weightsPath: string): string {
  return weightsPath.replace(/\.safetensors$/, '.optim.safetensors');
}

/** The newest complete checkpoint in `saveDir` (weights with optimiser state beside them), if any. */
export function latestCheckpoint(saveDir: string): string | undefined {
  if (!existsSync(saveDir)) return undefined;
  const epochs = readdirSync(saveDir)
    .map((name) => /^vqvae_(\d+)\.safetensors$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((epoch) => existsSync(optimiserPath(checkpointPath(saveDir, epoch))))
    .sort((a, b) => a - b);
  return epochs.length ? checkpointPath(saveDir, epochs[epochs.length - 1]) : undefined;
}

export function saveCheckpoint(saveDir: string, weights: TensorMap, adam: Adam, state: RunState): string {
  const path = checkpointPath(saveDir, state.epoch);
  const moments: TensorMap = new Map();
  for (const [key, variable] of adam.state()) {
    moments.set(key, { dtype: 'F32', shape: variable.shape, data: variable.dataSync() as Float32Array });
  }
  const runMetadata = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, String(v)]));
  writeSafetensors(optimiserPath(path), moments, { ...runMetadata, layout: 'tfjs' });
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  writeSafetensors(path, weights, { format: 'pt', parameters: String(parameters), preset: state.preset, epoch: String(state.epoch) });
  return path;
}

export interface LoadedCheckpoint {
  weights: TensorMap;
  /** Present when the optimiser file sits beside the weights: the run can resume exactly. */
  resume?: { state: RunState; moments: Map<string, Float32Array> };
}

/** Reads a checkpoint, and its optimiser state when there is one (a PyTorch checkpoint has none). */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  if (!existsSync(path)) throw new UserError(`checkpoint ${path} does not exist`);
  const weights = readSafetensors(path).tensors;
  const optim = optimiserPath(path);
  if (!existsSync(optim)) return { weights };
  const { tensors, metadata } = readSafetensors(optim);
  const number = (key: string) => {
    const value = Number(metadata[key]);
    if (!Number.isFinite(value)) throw new UserError(`${basename(optim)} lacks '${key}': delete it to start a fresh optimiser from ${basename(path)}`);
    return value;
  };
  const state: RunState = {
    epoch: number('epoch'),
    step: number('step'),
    seed: number('seed'),
    totalSteps: number('totalSteps'),
    preset: metadata.preset ?? '',
  };
  const moments = new Map<string, Float32Array>();
  for (const [key, t] of tensors) moments.set(key, t.data as Float32Array);
  return { weights, resume: { state, moments } };
}
