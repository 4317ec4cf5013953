import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { removeStaleTemporaries, writeFileAtomic } from '../atomic-file.js';
import { MEL } from '../audio/mel.js';
import { UserError } from '../errors.js';
import { codeUsage, createVQVAE2, presetOfStateDict, type PresetName, type VQVAE2 } from '../model/vqvae.js';
import { Adam } from './adam.js';
import { CodebookHealth, CollapseWatch, LEVELS, type CodebookMode } from './codebook-health.js';
import {
  DEFAULT_KEEP,
  loadNamedCheckpoint,
  newestGoodCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
  type LoadedCheckpoint,
  type RunState,
} from './checkpoint.js';
import { batches, checkWavs, epochOrder, type RejectedWav } from './dataset.js';
import { MelPool } from './mel-pool.js';
import { lossAndGradients } from './objective.js';
import { oneCycle, type ScheduleValues } from './one-cycle.js';
import { resolveSettings, type ResolvedSettings, type ScheduleName } from './settings.js';
import { dropEventsAfter, EventWriter } from './tensorboard.js';
import { melImage } from './mel-image.js';
import { prepareOutputDirectory } from '../util/make-dir.js';
import type { StartProgress } from '../progress.js';
import { metricsFileIn } from './metrics-file.js';

export interface TrainOptions {
  wavDir: string;
  saveDir: string;
  /** A checkpoint to start from; without it, the newest good checkpoint in saveDir, if any. */
  loadPath?: string;
  epochs: number;
  /** `auto`: the checkpoint's preset when resuming, else the one for `backend` (see settings.ts). */
  preset: PresetName | 'auto';
  /** The active backend's name, which `auto` follows. */
  backend?: string;
  /** Unset: the preset's default, as are `lr` and `schedule`. */
  batchSize?: number;
  lr?: number;
  schedule?: ScheduleName;
  /** `healthy` (the default): codebooks set from the data and unused codes restarted; `original`: as the original. */
  codebook?: CodebookMode;
  latentLossWeight: number;
  seed: number;
  /** Stop after this many optimiser steps in all (smoke runs); the schedule still spans all epochs. */
  maxSteps?: number;
  /** Log input mels beside their reconstructions to TensorBoard every this many steps. */
  imageEvery: number;
  melWorkers?: number;
  /** The newest complete epochs whose checkpoints stay on disk (default DEFAULT_KEEP); older ones are deleted. */
  keep?: number;
  /** Epochs whose checkpoints stay whatever `keep` says. */
  keepEpochs?: readonly number[];
  /**
   * Aborted to stop early: the trainer finishes the step it is in, writes a checkpoint that a rerun
   * resumes from at the next step, and returns with `interrupted` set.
   */
  stop?: AbortSignal;
}

export interface StepMetrics {
  epoch: number;
  step: number;
  loss: number;
  recon: number;
  latent: number;
  /** Code-usage entropy of the batch, in nats, per codebook (ln 64 ≈ 4.16 is every top code used equally). */
  entropyTop: number;
  entropyBottom: number;
  /** Distinct codes the batch used, per codebook. */
  codesTop: number;
  codesBottom: number;
  /** exp(entropy): how many equally used codes the batch's usage amounts to. */
  perplexityTop: number;
  perplexityBottom: number;
  lr: number;
  clipsPerSecond: number;
  /** Seconds the step waited for its mel batch: near zero when the workers keep ahead of the model. */
  dataWaitSeconds: number;
}

/** What the trainer tells its caller. */
export interface TrainListener {
  info(message: string): void;
  /**
   * One job per epoch, of the steps still to run in it (fewer than all when a run resumes
   * mid-epoch); each step ticks it with its metrics.
   */
  progress?: StartProgress<StepMetrics>;
  /** An epoch ended with its checkpoint written. */
  epochSaved?(epoch: number, checkpoint: string): void;
}

export interface TrainResult {
  epochs: number;
  steps: number;
  lastCheckpoint?: string;
  last?: StepMetrics;
  /** Wavs left out because training cannot read them. */
  rejected: RejectedWav[];
  /** Whether `stop` ended the run before its last epoch; `lastCheckpoint` is where a rerun resumes. */
  interrupted: boolean;
}

function validate(options: TrainOptions, batchSize: number, paths: string[], rejected: RejectedWav[]): void {
  if (paths.length === 0) {
    const first = rejected[0];
    throw new UserError(
      `none of the ${rejected.length} wavs in ${options.wavDir} is usable (${first.file}: ${first.reason}, …): convert the media again with boiler convert`,
    );
  }
  if (paths.length < batchSize) {
    const unreadable = rejected.length ? ` (and ${rejected.length} wavs training cannot read)` : '';
    throw new UserError(`${options.wavDir} has ${paths.length} clips, fewer than one batch of ${batchSize}${unreadable}: lower --batch-size or add clips`);
  }
}

/** The checkpoint a run starts from: --load-path, else the newest good one in saveDir, saying which damaged ones it passed over. */
function findStart(options: TrainOptions, listener: TrainListener): { path: string; loaded: LoadedCheckpoint } | undefined {
  if (options.loadPath) return { path: options.loadPath, loaded: loadNamedCheckpoint(options.loadPath) };
  const found = newestGoodCheckpoint(options.saveDir);
  for (const damaged of found?.damaged ?? []) {
    listener.info(`${basename(damaged.path)} is damaged (${damaged.reason}): resuming from ${basename(found!.path)}`);
  }
  return found;
}

interface StartingPoint {
  model: VQVAE2;
  settings: ResolvedSettings;
  path?: string;
  resume?: LoadedCheckpoint['resume'];
}

/** The settings of the run: under `auto`, those of the checkpoint's preset when there is one. */
function settingsFor(options: TrainOptions, loaded?: LoadedCheckpoint): ResolvedSettings {
  const saved = loaded?.resume?.state.preset || presetOfStateDict(loaded?.weights ?? new Map());
  const requested = { preset: options.preset, backend: options.backend ?? tf.getBackend(), batchSize: options.batchSize, lr: options.lr, schedule: options.schedule };
  return resolveSettings(requested, saved ? (saved as PresetName) : undefined);
}

/** Builds the model, from a checkpoint when there is one, and says where training resumes. */
function startingPoint(options: TrainOptions, listener: TrainListener): StartingPoint {
  const start = findStart(options, listener);
  const settings = settingsFor(options, start?.loaded);
  const model = createVQVAE2(settings.preset, options.seed);
  if (!start) return { model, settings };
  const { path, loaded } = start;
  model.loadStateDict(loaded.weights);
  if (loaded.resume && loaded.resume.state.preset && loaded.resume.state.preset !== settings.preset) {
    throw new UserError(`${path} was trained with --preset ${loaded.resume.state.preset}, not ${settings.preset}`);
  }
  const state = loaded.resume?.state;
  const where = !state ? undefined : state.epochStep > 0 ? `at step ${state.step} (epoch ${state.epoch + 1}, after ${state.epochStep} of its steps)` : `after epoch ${state.epoch}`;
  listener.info(where ? `resuming ${where} from ${path}` : `starting from the weights in ${path}`);
  return { model, settings, path, resume: loaded.resume };
}

/**
 * Keeps the lines of metrics.jsonl up to `step`: a run resumed from the checkpoint of `step` logs
 * the later steps again. A line cut short by a killed run goes too.
 */
function keepMetricsUpTo(path: string, step: number): void {
  if (!existsSync(path)) return;
  const text = readFileSync(path, 'utf8');
  const kept = text.split('\n').filter((line) => {
    try {
      return (JSON.parse(line) as StepMetrics).step <= step;
    } catch {
      return false;
    }
  });
  const keptText = kept.map((line) => line + '\n').join('');
  if (keptText !== text) writeFileAtomic(path, keptText);
}

/** Adam's learning rate and β1 at each step: OneCycle as the original, or constant with PyTorch's default β1. */
function learningRate(settings: ResolvedSettings, totalSteps: number): (step: number) => ScheduleValues {
  if (settings.schedule === 'onecycle') return oneCycle({ maxLr: settings.lr, totalSteps });
  return () => ({ lr: settings.lr, beta1: 0.9 });
}

/**
 * Trains the VQ-VAE2 as the original: loss = L1(recon, mel) + w·latent, Adam (under PyTorch's
 * OneCycleLR, or at a constant rate), codebooks renormalised after every step, clips shuffled each
 * epoch, a checkpoint after every epoch. With `codebook: 'healthy'` the codebooks start from the
 * first batch's encoder outputs and unused codes are restarted (codebook-health.ts). Mel batches
 * are computed in worker threads one batch ahead of the model.
 */
export async function train(options: TrainOptions, listener: TrainListener): Promise<TrainResult> {
  const { paths, rejected } = checkWavs(options.wavDir);
  prepareOutputDirectory(options.saveDir, '--save-path');
  removeStaleTemporaries(options.saveDir);
  // The checkpoint is checked before the clips are counted: a wrong --load-path is the first thing to hear about.
  const { model, settings, path: startPath, resume } = startingPoint(options, listener);
  const { batchSize } = settings;
  validate(options, batchSize, paths, rejected);
  listener.info(settings.summary);
  if (rejected.length > 0) listener.info(`left out ${rejected.length} of ${rejected.length + paths.length} wavs that training cannot read (listed at the end)`);
  const adam = new Adam(model.variables);
  const stepsPerEpoch = Math.ceil(paths.length / batchSize);
  const totalSteps = options.epochs * stepsPerEpoch;
  const schedule = learningRate(settings, totalSteps);
  const state: RunState = { epoch: 0, step: 0, epochStep: 0, seed: options.seed, preset: settings.preset, totalSteps };
  const mode = options.codebook ?? 'healthy';
  const health = mode === 'healthy' ? new CodebookHealth(model, adam, options.seed) : undefined;
  const watches = LEVELS.map((level) => new CollapseWatch(level, model.codebook(level).shape[0], mode));
  if (resume) {
    if (resume.state.totalSteps !== totalSteps) {
      listener.info(`note: the schedule spans ${totalSteps} steps now, ${resume.state.totalSteps} before (other --epochs, --batch-size or clip count)`);
    }
    adam.loadState(resume.state.step, resume.moments);
    health?.loadState(resume.moments, resume.state.step);
    Object.assign(state, { epoch: resume.state.epoch, step: resume.state.step, epochStep: resume.state.epochStep });
  }
  const metricsPath = metricsFileIn(options.saveDir);
  keepMetricsUpTo(metricsPath, state.step);
  dropEventsAfter(options.saveDir, state.step);
  const events = new EventWriter(options.saveDir);
  const pool = new MelPool(options.melWorkers);
  const result: TrainResult = { epochs: state.epoch, steps: state.step, lastCheckpoint: startPath, rejected, interrupted: false };
  const stopRequested = () => Boolean(options.stop?.aborted) || (options.maxSteps !== undefined && state.step >= options.maxSteps);
  const checkpoint = () => {
    const path = saveCheckpoint(options.saveDir, model.stateDict(), adam, state, health?.state());
    pruneCheckpoints(options.saveDir, path, { keep: options.keep ?? DEFAULT_KEEP, keepEpochs: options.keepEpochs });
    Object.assign(result, { lastCheckpoint: path, epochs: state.epoch, steps: state.step });
    return path;
  };
  try {
    for (let epoch = state.epoch + 1; epoch <= options.epochs && !stopRequested(); epoch++) {
      const order = batches(epochOrder(paths.length, options.seed, epoch), batchSize).map((b) => b.map((i) => paths[i]));
      let b = Math.min(state.epochStep, order.length);
      const progress = listener.progress?.({ label: `epoch ${epoch}/${options.epochs}`, total: order.length - b, unit: 'steps' });
      let next = b < order.length ? pool.melBatch(order[b]) : undefined;
      for (; b < order.length && !stopRequested(); b++) {
        const waitStarted = performance.now();
        const melData = await next!;
        const dataWaitSeconds = (performance.now() - waitStarted) / 1000;
        next = b + 1 < order.length ? pool.melBatch(order[b + 1]) : undefined;
        const started = performance.now();
        const { lr, beta1 } = schedule(state.step);
        const mel = tf.tensor3d(melData, [order[b].length, MEL.nMels, MEL.frames]);
        // A fresh run's codes start from its first batch; weights loaded from elsewhere keep theirs.
        if (health && state.step === 0 && !startPath) health.initialise(mel);
        const { losses, ids } = trainStep(model, adam, mel, options.latentLossWeight, lr, beta1);
        state.step += 1;
        state.epochStep = b + 1;
        const [top, bottom] = LEVELS.map((level) => codeUsage(ids[level], model.codebook(level).shape[0]));
        if (health) {
          for (const level of LEVELS) health.observe(level, ids[level], state.step);
          health.restartDeadCodes(mel, state.step);
        }
        const m: StepMetrics = {
          epoch,
          step: state.step,
          ...losses,
          entropyTop: top.entropy,
          entropyBottom: bottom.entropy,
          codesTop: top.codes,
          codesBottom: bottom.codes,
          perplexityTop: top.perplexity,
          perplexityBottom: bottom.perplexity,
          lr,
          clipsPerSecond: order[b].length / ((performance.now() - started) / 1000),
          dataWaitSeconds,
        };
        appendFileSync(metricsPath, JSON.stringify(m) + '\n');
        events.scalars(state.step, {
          'loss/total': m.loss,
          'loss/recon': m.recon,
          'loss/latent': m.latent,
          lr,
          'entropy/top': m.entropyTop,
          'entropy/bottom': m.entropyBottom,
          'codes/top': m.codesTop,
          'codes/bottom': m.codesBottom,
          'perplexity/top': m.perplexityTop,
          'perplexity/bottom': m.perplexityBottom,
        });
        if (state.step % options.imageEvery === 0 || state.step === 1) logImage(events, model, mel, state.step);
        mel.dispose();
        result.last = m;
        progress?.tick(1, m);
        [top, bottom].forEach((usage, i) => {
          const warning = watches[i].observe(state.step, usage);
          if (warning) listener.info(warning);
        });
      }
      await next?.catch(() => undefined);
      progress?.stop();
      if (b < order.length) {
        // Stopped mid-epoch: a partial checkpoint, unless no step ran since the last one.
        if (state.step > result.steps) checkpoint();
        break;
      }
      Object.assign(state, { epoch, epochStep: 0 });
      const saved = checkpoint();
      listener.epochSaved?.(epoch, saved);
    }
    result.interrupted = Boolean(options.stop?.aborted) && result.epochs < options.epochs;
  } finally {
    events.close();
    await pool.close();
    adam.dispose();
    model.dispose();
  }
  return result;
}

/**
 * Clips per forward/backward slice. A batch runs in slices whose gradients are averaged (the same
 * values as one pass): the paper model needs about 1.9 GiB per 16 clips, and the wasm backend has
 * a 4 GiB heap, so the default batch of 128 cannot run in one pass there.
 */
const MICRO_BATCH = 16;

/** One optimiser step; returns the batch's losses and the codes it chose. */
function trainStep(model: VQVAE2, adam: Adam, mel: tf.Tensor3D, latentLossWeight: number, lr: number, beta1: number) {
  const out = lossAndGradients(model, mel, latentLossWeight, MICRO_BATCH);
  adam.apply(Object.fromEntries(out.grads), lr, beta1);
  model.renormaliseCodebooks();
  const losses = { loss: out.loss.dataSync()[0], recon: out.recon.dataSync()[0], latent: out.latent.dataSync()[0] };
  const ids = { top: out.idT.dataSync() as Int32Array, bottom: out.idB.dataSync() as Int32Array };
  tf.dispose([out.loss, out.recon, out.latent, out.idT, out.idB, ...out.grads.values()]);
  return { losses, ids };
}

/** Input mels beside their reconstructions, as the original logged them. */
function logImage(events: EventWriter, model: VQVAE2, mel: tf.Tensor3D, step: number): void {
  const shown = Math.min(4, mel.shape[0]);
  const input = tf.tidy(() => mel.slice([0, 0, 0], [shown, -1, -1]));
  const recon = tf.tidy(() => model.forward(input).recon.reshape([shown, MEL.nMels, MEL.frames]));
  const image = melImage(input.dataSync() as Float32Array, recon.dataSync() as Float32Array, shown, MEL.nMels, MEL.frames);
  events.image(step, 'mel/input_vs_reconstruction', image.png, image.width, image.height);
  tf.dispose([input, recon]);
}
