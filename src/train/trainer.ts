import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { removeStaleTemporaries, writeFileAtomic } from '../atomic-file.js';
import { MEL } from '../audio/mel.js';
import { UserError } from '../errors.js';
import { codeUsageEntropy, createVQVAE2, type PresetName, type VQVAE2 } from '../model/vqvae.js';
import { Adam } from './adam.js';
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
import { MelPool, MEL_FRAMES } from './mel-pool.js';
import { oneCycle } from './one-cycle.js';
import { dropEventsAfter, EventWriter } from './tensorboard.js';
import { melImage } from './mel-image.js';
import { prepareOutputDirectory } from '../util/make-dir.js';

export interface TrainOptions {
  wavDir: string;
  saveDir: string;
  /** A checkpoint to start from; without it, the newest good checkpoint in saveDir, if any. */
  loadPath?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  latentLossWeight: number;
  preset: PresetName;
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
  lr: number;
  clipsPerSecond: number;
  /** Seconds the step waited for its mel batch: near zero when the workers keep ahead of the model. */
  dataWaitSeconds: number;
}

/** What the trainer tells its caller (the CLI draws progress bars from these). */
export interface TrainListener {
  info(message: string): void;
  /** `steps`: the steps of the epoch still to run (fewer than all when a run resumes mid-epoch). */
  epochStart(epoch: number, steps: number): void;
  step(metrics: StepMetrics): void;
  epochEnd(epoch: number, checkpoint: string): void;
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

function validate(options: TrainOptions, paths: string[], rejected: RejectedWav[]): void {
  if (paths.length === 0) {
    const first = rejected[0];
    throw new UserError(
      `none of the ${rejected.length} wavs in ${options.wavDir} is usable (${first.file}: ${first.reason}, …): convert the media again with boiler convert`,
    );
  }
  if (paths.length < options.batchSize) {
    const unreadable = rejected.length ? ` (and ${rejected.length} wavs training cannot read)` : '';
    throw new UserError(`${options.wavDir} has ${paths.length} clips, fewer than one batch of ${options.batchSize}${unreadable}: lower --batch-size or add clips`);
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

/** Builds the model, from a checkpoint when there is one, and says where training resumes. */
function startingPoint(options: TrainOptions, listener: TrainListener): { model: VQVAE2; path?: string; resume?: LoadedCheckpoint['resume'] } {
  const model = createVQVAE2(options.preset, options.seed);
  const start = findStart(options, listener);
  if (!start) return { model };
  const { path, loaded } = start;
  model.loadStateDict(loaded.weights);
  if (loaded.resume && loaded.resume.state.preset && loaded.resume.state.preset !== options.preset) {
    throw new UserError(`${path} was trained with --preset ${loaded.resume.state.preset}, not ${options.preset}`);
  }
  const state = loaded.resume?.state;
  const where = !state ? undefined : state.epochStep > 0 ? `at step ${state.step} (epoch ${state.epoch + 1}, after ${state.epochStep} of its steps)` : `after epoch ${state.epoch}`;
  listener.info(where ? `resuming ${where} from ${path}` : `starting from the weights in ${path}`);
  return { model, path, resume: loaded.resume };
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

/**
 * Trains the VQ-VAE2 as the original: loss = L1(recon, mel) + w·latent, Adam under PyTorch's
 * OneCycleLR, codebooks renormalised after every step, clips shuffled each epoch, a checkpoint
 * after every epoch. Mel batches are computed in worker threads one batch ahead of the model.
 */
export async function train(options: TrainOptions, listener: TrainListener): Promise<TrainResult> {
  const { paths, rejected } = checkWavs(options.wavDir);
  prepareOutputDirectory(options.saveDir, '--save-path');
  removeStaleTemporaries(options.saveDir);
  // The checkpoint is checked before the clips are counted: a wrong --load-path is the first thing to hear about.
  const { model, path: startPath, resume } = startingPoint(options, listener);
  validate(options, paths, rejected);
  if (rejected.length > 0) listener.info(`left out ${rejected.length} of ${rejected.length + paths.length} wavs that training cannot read (listed at the end)`);
  const adam = new Adam(model.variables);
  const stepsPerEpoch = Math.ceil(paths.length / options.batchSize);
  const totalSteps = options.epochs * stepsPerEpoch;
  const schedule = oneCycle({ maxLr: options.lr, totalSteps });
  const state: RunState = { epoch: 0, step: 0, epochStep: 0, seed: options.seed, preset: options.preset, totalSteps };
  if (resume) {
    if (resume.state.totalSteps !== totalSteps) {
      listener.info(`note: the schedule spans ${totalSteps} steps now, ${resume.state.totalSteps} before (other --epochs, --batch-size or clip count)`);
    }
    adam.loadState(resume.state.step, resume.moments);
    Object.assign(state, { epoch: resume.state.epoch, step: resume.state.step, epochStep: resume.state.epochStep });
  }
  const metricsPath = join(options.saveDir, 'metrics.jsonl');
  keepMetricsUpTo(metricsPath, state.step);
  dropEventsAfter(options.saveDir, state.step);
  const events = new EventWriter(options.saveDir);
  const pool = new MelPool(options.melWorkers);
  const result: TrainResult = { epochs: state.epoch, steps: state.step, lastCheckpoint: startPath, rejected, interrupted: false };
  const stopRequested = () => Boolean(options.stop?.aborted) || (options.maxSteps !== undefined && state.step >= options.maxSteps);
  const checkpoint = () => {
    const path = saveCheckpoint(options.saveDir, model.stateDict(), adam, state);
    pruneCheckpoints(options.saveDir, path, { keep: options.keep ?? DEFAULT_KEEP, keepEpochs: options.keepEpochs });
    Object.assign(result, { lastCheckpoint: path, epochs: state.epoch, steps: state.step });
    return path;
  };
  try {
    for (let epoch = state.epoch + 1; epoch <= options.epochs && !stopRequested(); epoch++) {
      const order = batches(epochOrder(paths.length, options.seed, epoch), options.batchSize).map((b) => b.map((i) => paths[i]));
      let b = Math.min(state.epochStep, order.length);
      listener.epochStart(epoch, order.length - b);
      let next = b < order.length ? pool.melBatch(order[b]) : undefined;
      for (; b < order.length && !stopRequested(); b++) {
        const waitStarted = performance.now();
        const melData = await next!;
        const dataWaitSeconds = (performance.now() - waitStarted) / 1000;
        next = b + 1 < order.length ? pool.melBatch(order[b + 1]) : undefined;
        const started = performance.now();
        const { lr, beta1 } = schedule(state.step);
        const mel = tf.tensor3d(melData, [order[b].length, MEL.nMels, MEL_FRAMES]);
        const metrics = trainStep(model, adam, mel, options.latentLossWeight, lr, beta1);
        state.step += 1;
        state.epochStep = b + 1;
        const m: StepMetrics = {
          epoch,
          step: state.step,
          ...metrics,
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
        });
        if (state.step % options.imageEvery === 0 || state.step === 1) logImage(events, model, mel, state.step);
        mel.dispose();
        result.last = m;
        listener.step(m);
      }
      await next?.catch(() => undefined);
      if (b < order.length) {
        // Stopped mid-epoch: a partial checkpoint, unless no step ran since the last one.
        if (state.step > result.steps) checkpoint();
        break;
      }
      Object.assign(state, { epoch, epochStep: 0 });
      listener.epochEnd(epoch, checkpoint());
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

/** One optimiser step; returns the batch's losses and code-usage entropies. */
function trainStep(model: VQVAE2, adam: Adam, mel: tf.Tensor3D, latentLossWeight: number, lr: number, beta1: number) {
  const out = model.lossAndGradients(mel, latentLossWeight, MICRO_BATCH);
  adam.apply(Object.fromEntries(out.grads), lr, beta1);
  model.renormaliseCodebooks();
  const metrics = {
    loss: out.loss.dataSync()[0],
    recon: out.recon.dataSync()[0],
    latent: out.latent.dataSync()[0],
    entropyTop: codeUsageEntropy(out.idT.dataSync(), model.config.nEmbedTop),
    entropyBottom: codeUsageEntropy(out.idB.dataSync(), model.config.nEmbedBottom),
  };
  tf.dispose([out.loss, out.recon, out.latent, out.idT, out.idB, ...out.grads.values()]);
  return metrics;
}

/** Input mels beside their reconstructions, as the original logged them. */
function logImage(events: EventWriter, model: VQVAE2, mel: tf.Tensor3D, step: number): void {
  const shown = Math.min(4, mel.shape[0]);
  const input = tf.tidy(() => mel.slice([0, 0, 0], [shown, -1, -1]));
  const recon = tf.tidy(() => model.forward(input).recon.reshape([shown, MEL.nMels, MEL_FRAMES]));
  const image = melImage(input.dataSync() as Float32Array, recon.dataSync() as Float32Array, shown, MEL.nMels, MEL_FRAMES);
  events.image(step, 'mel/input_vs_reconstruction', image.png, image.width, image.height);
  tf.dispose([input, recon]);
}
