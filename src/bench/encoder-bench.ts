/**
 * Encoder speed: wav → BagTopVQVAE embedding, ms per clip by batch size, for onnxruntime (what
 * `boiler index`, `query` and `serve` run) and each TensorFlow.js backend that loads here (the
 * log-mel in JavaScript, then the model's encoder half). The paper preset with seeded initial
 * weights: speed does not depend on the weights' values.
 */
import * as tf from '@tensorflow/tfjs';
import { CLIP_SAMPLES } from '../audio/clip.js';
import { logMel, MEL } from '../audio/mel.js';
import { chooseBackend, BACKENDS, type BackendName } from '../model/backend.js';
import { bagTop } from '../model/encoders.js';
import { buildEncoderOnnx } from '../model/onnx/graph.js';
import { OnnxEncoder } from '../model/onnx/runtime.js';
import { createVQVAE2 } from '../model/vqvae.js';
import { describeError } from '../errors.js';
import { syntheticBatch } from './clips.js';
import { machineNote, median, timed } from './measure.js';
import type { BenchResult } from './result.js';

export interface EncoderRuntime {
  name: string;
  batches: number[];
  /** Clips to time per batch size (at least `minRuns` runs); the slow runtimes get fewer. */
  clipBudget: number;
  minRuns: number;
  embed(wavs: Float32Array, count: number): Promise<unknown>;
  close(): Promise<void>;
}

export interface EncoderTiming {
  runtime: string;
  batch: number;
  runs: number;
  msPerClip: number;
  minMsPerClip: number;
  cpuMsPerClip: number;
}

const ALL_BATCHES = [1, 2, 4, 8, 16, 32, 64];
/** The JavaScript backends are far slower: fewer batch sizes and runs keep the suite short. */
const TFJS_PLAN: Record<BackendName, Pick<EncoderRuntime, 'batches' | 'clipBudget' | 'minRuns'>> = {
  'tensorflow-gpu': { batches: ALL_BATCHES, clipBudget: 64, minRuns: 3 },
  tensorflow: { batches: ALL_BATCHES, clipBudget: 64, minRuns: 3 },
  wasm: { batches: [1, 4, 16, 64], clipBudget: 16, minRuns: 2 },
  cpu: { batches: [1, 2], clipBudget: 1, minRuns: 1 },
};

/** Times `embed` at one batch size (warm the runtime up first): median, minimum and CPU ms per clip. */
export async function timeEmbedding(runtime: Pick<EncoderRuntime, 'name' | 'clipBudget' | 'minRuns' | 'embed'>, wavs: Float32Array, batch: number): Promise<EncoderTiming> {
  const input = wavs.subarray(0, batch * CLIP_SAMPLES);
  const runs = Math.max(runtime.minRuns, Math.ceil(runtime.clipBudget / batch));
  const samples = [];
  for (let run = 0; run < runs; run++) samples.push(await timed(() => runtime.embed(input, batch)));
  return {
    runtime: runtime.name,
    batch,
    runs,
    msPerClip: median(samples.map((s) => s.wallMs)) / batch,
    minMsPerClip: Math.min(...samples.map((s) => s.wallMs)) / batch,
    cpuMsPerClip: median(samples.map((s) => s.cpuMs)) / batch,
  };
}

function onnxRuntime(encoder: OnnxEncoder): EncoderRuntime {
  return { name: 'onnxruntime', batches: ALL_BATCHES, clipBudget: 64, minRuns: 3, embed: (wavs, count) => encoder.embed(wavs, count), close: () => encoder.close() };
}

/** A TensorFlow.js backend as a runtime: activates it and builds the model on it (undefined when it does not load). */
async function tfjsRuntime(backend: BackendName): Promise<EncoderRuntime | string> {
  try {
    await chooseBackend(backend);
  } catch (error) {
    // The reason in parentheses (a module resolution error) is long; the install hint after it is what helps.
    return describeError(error).replace(/ \([^)]*\)/, '');
  }
  const model = createVQVAE2('paper', 0);
  return {
    name: `tfjs ${backend}`,
    ...TFJS_PLAN[backend],
    embed: async (wavs, count) => {
      const mel = tf.tensor3d(logMel(wavs, count), [count, MEL.nMels, MEL.frames]);
      try {
        return bagTop(model, mel);
      } finally {
        mel.dispose();
      }
    },
    close: async () => model.dispose(),
  };
}

export interface EncoderBenchOptions {
  /** A line for each runtime as it starts (progress on a slow machine). */
  log?: (line: string) => void;
}

export async function benchEncoder(options: EncoderBenchOptions = {}): Promise<BenchResult> {
  const log = options.log ?? (() => {});
  const wavs = syntheticBatch(Math.max(...ALL_BATCHES));
  const timings: EncoderTiming[] = [];
  const skipped: string[] = [];

  // The ONNX graph is built from a tfjs model's weights, so a backend must be active first.
  await chooseBackend('cpu');
  const weights = createVQVAE2('paper', 0);
  const onnx = onnxRuntime(await OnnxEncoder.load(buildEncoderOnnx(weights.stateDict(), 'BagTopVQVAE')));
  weights.dispose();
  const runtimes: (() => Promise<EncoderRuntime | string>)[] = [async () => onnx, ...BACKENDS.map((backend) => () => tfjsRuntime(backend))];
  for (const [i, make] of runtimes.entries()) {
    const runtime = await make();
    if (typeof runtime === 'string') {
      skipped.push(`tfjs ${BACKENDS[i - 1]}: ${runtime}`);
      continue;
    }
    log(`encoder: ${runtime.name}, batch ${runtime.batches.join(', ')}`);
    try {
      // One clip first: thread pools, kernel compilation and allocations.
      await runtime.embed(wavs.subarray(0, CLIP_SAMPLES), 1);
      for (const batch of runtime.batches) timings.push(await timeEmbedding(runtime, wavs, batch));
    } finally {
      await runtime.close();
    }
  }

  const names = [...new Set(timings.map((t) => t.runtime))];
  return {
    name: 'encoder',
    columns: ['runtime', 'batch', 'runs', 'ms_per_clip', 'min_ms_per_clip', 'cpu_ms_per_clip'],
    rows: timings.map((t) => [t.runtime, t.batch, t.runs, t.msPerClip, t.minMsPerClip, t.cpuMsPerClip]),
    chart: {
      title: 'encoder: wav to BagTopVQVAE embedding (paper preset)',
      note: machineNote(),
      panels: [
        {
          title: 'wall time per clip',
          xLabel: 'batch size',
          yLabel: 'ms/clip (median)',
          logX: true,
          logY: true,
          series: names.map((name) => ({ name, points: timings.filter((t) => t.runtime === name).map((t) => ({ x: t.batch, y: t.msPerClip })) })),
        },
      ],
    },
    summary: [
      ...names.map((name) => {
        const own = timings.filter((t) => t.runtime === name);
        return `${name.padEnd(22)} ${own.map((t) => `b${t.batch} ${t.msPerClip.toFixed(1)}`).join('  ')} ms/clip`;
      }),
      ...skipped.map((line) => `not measured: ${line}`),
    ],
  };
}
