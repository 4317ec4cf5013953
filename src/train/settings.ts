import type { PresetName } from '../model/vqvae2.js';

/** How the learning rate moves over the run: PyTorch's OneCycleLR (the original's) or a constant rate. */
export type ScheduleName = 'onecycle' | 'constant';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['onecycle', 'constant'];

/**
 * What `--preset auto` and the unset flags resolve to. The paper preset keeps the original's
 * settings (for a GPU and thousands of clips). The tiny one is for a few hundred clips on a CPU,
 * where a run lasts minutes: OneCycle over so few steps is still warming up when it ends, and on
 * real clips it collapsed the bottom codebook, while a constant rate kept it in use.
 */
export const PRESET_DEFAULTS: Record<PresetName, { batchSize: number; lr: number; schedule: ScheduleName }> = {
  paper: { batchSize: 128, lr: 1e-4, schedule: 'onecycle' },
  tiny: { batchSize: 16, lr: 1e-3, schedule: 'constant' },
};

/** The preset `auto` picks on a backend: the paper model only where a GPU makes its steps affordable. */
export function autoPreset(backend: string): PresetName {
  return backend === 'tensorflow-gpu' ? 'paper' : 'tiny';
}

export interface RequestedSettings {
  preset: PresetName | 'auto';
  /** The active backend, which `auto` follows when there is no checkpoint to resume. */
  backend: string;
  batchSize?: number;
  lr?: number;
  schedule?: ScheduleName;
}

export interface ResolvedSettings {
  preset: PresetName;
  batchSize: number;
  lr: number;
  schedule: ScheduleName;
  /** One line for the start of the run: `preset tiny (auto: wasm backend), batch 16, lr 1e-3 constant`. */
  summary: string;
}

/**
 * The run's preset and hyperparameters. A run that resumes a checkpoint keeps the checkpoint's
 * preset under `auto` (its weights fix the model's sizes); an explicit preset is taken as asked,
 * and the trainer reports a mismatch with the checkpoint.
 */
export function resolveSettings(requested: RequestedSettings, checkpointPreset?: PresetName): ResolvedSettings {
  const auto = requested.preset === 'auto';
  const preset = !auto ? (requested.preset as PresetName) : (checkpointPreset ?? autoPreset(requested.backend));
  const why = !auto ? '' : checkpointPreset ? ' (auto: the checkpoint’s)' : ` (auto: ${requested.backend} backend)`;
  const defaults = PRESET_DEFAULTS[preset];
  const batchSize = requested.batchSize ?? defaults.batchSize;
  const lr = requested.lr ?? defaults.lr;
  const schedule = requested.schedule ?? defaults.schedule;
  return { preset, batchSize, lr, schedule, summary: `preset ${preset}${why}, batch ${batchSize}, lr ${lr.toExponential()} ${schedule}` };
}
