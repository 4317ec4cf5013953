/**
 * Training throughput: clips/s of `boiler train`'s loop (the library call, on synthetic wavs in a
 * temporary directory) for the tiny and paper presets over a few steps on the wasm backend, and
 * how long each step waited for the mel workers' batch (near zero when they keep ahead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseBackend } from '../model/backend.js';
import type { PresetName } from '../model/vqvae2.js';
import { train, type StepMetrics } from '../train/trainer.js';
import { writeSyntheticWavs } from './clips.js';
import { machineNote, median } from './measure.js';
import type { BenchResult } from './result.js';

export interface TrainPlan {
  preset: PresetName;
  batchSize: number;
  /** Optimiser steps; the first (kernel compilation, the first batch's mels, a logged image) is reported apart. */
  steps: number;
}

export const TRAIN_PLANS: TrainPlan[] = [
  { preset: 'tiny', batchSize: 4, steps: 6 },
  { preset: 'paper', batchSize: 4, steps: 3 },
];

export interface TrainMeasurement extends TrainPlan {
  backend: string;
  clipsPerSecond: number;
  stepSeconds: number;
  /** Mean seconds a step after the first waited for its mels. */
  dataWaitSeconds: number;
  firstStepSeconds: number;
}

/** Trains `plan.steps` steps in a scratch directory and summarises the steps after the first. */
export async function measureTraining(plan: TrainPlan, wavDir: string, scratch: string, backend: string): Promise<TrainMeasurement> {
  const steps: StepMetrics[] = [];
  await train(
    {
      wavDir,
      saveDir: join(scratch, `save-${plan.preset}`),
      epochs: 1,
      batchSize: plan.batchSize,
      lr: 1e-4,
      latentLossWeight: 0.5,
      preset: plan.preset,
      seed: 0,
      maxSteps: plan.steps,
      imageEvery: Number.MAX_SAFE_INTEGER,
    },
    { info: () => {}, progress: () => ({ tick: (_by, metrics) => metrics && steps.push(metrics), setTotal: () => {}, stop: () => {} }) },
  );
  const [first, ...rest] = steps;
  const measured = rest.length ? rest : steps;
  const clipsPerSecond = median(measured.map((s) => s.clipsPerSecond));
  return {
    ...plan,
    backend,
    clipsPerSecond,
    stepSeconds: plan.batchSize / clipsPerSecond,
    dataWaitSeconds: measured.reduce((sum, s) => sum + s.dataWaitSeconds, 0) / measured.length,
    firstStepSeconds: plan.batchSize / first.clipsPerSecond + first.dataWaitSeconds,
  };
}

export interface TrainBenchOptions {
  plans?: TrainPlan[];
  log?: (line: string) => void;
}

export async function benchTrain(options: TrainBenchOptions = {}): Promise<BenchResult> {
  const plans = options.plans ?? TRAIN_PLANS;
  const backend = (await chooseBackend('wasm')).name;
  const scratch = mkdtempSync(join(tmpdir(), 'boiler-bench-train-'));
  const results: TrainMeasurement[] = [];
  try {
    const wavDir = writeSyntheticWavs(join(scratch, 'wav'), Math.max(...plans.map((p) => p.batchSize * p.steps)));
    for (const plan of plans) {
      options.log?.(`train: --preset ${plan.preset}, batch ${plan.batchSize}, ${plan.steps} steps on ${backend}`);
      results.push(await measureTraining(plan, wavDir, scratch, backend));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const categories = results.map((r) => `${r.preset} b${r.batchSize}`);
  return {
    name: 'train',
    columns: ['preset', 'backend', 'batch', 'steps', 'clips_per_s', 'step_s', 'data_wait_s', 'first_step_s'],
    rows: results.map((r) => [r.preset, r.backend, r.batchSize, r.steps, r.clipsPerSecond, r.stepSeconds, r.dataWaitSeconds, r.firstStepSeconds]),
    chart: {
      title: `train: optimiser steps on tfjs ${backend} (median of the steps after the first)`,
      note: machineNote(),
      panels: [
        { title: 'throughput', xLabel: 'preset, batch', yLabel: 'clips/s', categories, series: [{ name: 'clips/s', points: results.map((r, i) => ({ x: i, y: r.clipsPerSecond })) }] },
        {
          title: 'time per step',
          xLabel: 'preset, batch',
          yLabel: 'seconds',
          categories,
          series: [
            { name: 'step (model)', points: results.map((r, i) => ({ x: i, y: r.stepSeconds })) },
            { name: 'waiting for mels', points: results.map((r, i) => ({ x: i, y: r.dataWaitSeconds })) },
          ],
        },
      ],
    },
    summary: results.map(
      (r) =>
        `${`--preset ${r.preset}`.padEnd(16)} batch ${r.batchSize}: ${r.clipsPerSecond.toFixed(2)} clips/s (${r.stepSeconds.toFixed(2)} s/step), ` +
        `data wait ${(r.dataWaitSeconds * 1000).toFixed(1)} ms/step; first step ${r.firstStepSeconds.toFixed(1)} s (${r.backend})`,
    ),
  };
}
