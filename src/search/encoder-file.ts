import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encoderRuntime } from '../env.js';
import { UserError } from '../errors.js';
import { mfccOfClips } from '../eval/mfcc.js';
import { MFCC_ENCODER } from '../model/encoders.js';
import { buildMfccOnnx, MFCC_DIMENSION } from '../model/onnx/mfcc-graph.js';
import type { EncoderName } from '../model/encoders.js';
import { buildEncoderOnnx } from '../model/onnx/graph.js';
import { parseSafetensors, type TensorMap } from '../model/safetensors.js';
import { TfjsEncoder } from '../model/tfjs-encoder.js';
import { readManifest, repairAdvice } from './model-manifest.js';
import { readStatistics } from './standardise.js';
import { modelFile } from './model-dir.js';
import { readCommitted } from './model-index.js';
import type { ClipEncoderSession, EmbeddingSettings, ModelFile } from './types.js';

// Re-exported where the library's entry point and earlier users import them from.
export type { ClipEncoderSession } from './types.js';

export interface CompiledEncoder {
  /** encoder.onnx's bytes: the role the original's TorchScript `encoder.pt` played. */
  onnx: Uint8Array;
  /** The checkpoint's state_dict, for the encoder's TensorFlow.js form (none for mfcc, whose fallback is plain JS). */
  weights?: TensorMap;
  encoder: ClipEncoderSession;
  /** The checkpoint's path and content hash, for the manifest (a rerun must use the same weights); null for mfcc. */
  checkpoint: { path: string; sha256: string } | null;
}

/** The mfcc encoder where onnxruntime does not load: the same statistics computed in JS (src/eval/mfcc.ts). */
function mfccJsEncoder(): ClipEncoderSession {
  return { dimension: MFCC_DIMENSION, embed: async (wavs, count) => mfccOfClips(wavs, count), close: async () => undefined };
}

/** The training-free encoder's ONNX graph, opened. */
export async function compileMfccEncoder(): Promise<CompiledEncoder> {
  const onnx = buildMfccOnnx();
  return { onnx, encoder: await openEncoder(onnx, mfccJsEncoder), checkpoint: null };
}

/**
 * Opens an encoder on onnxruntime-node, or on TensorFlow.js where onnxruntime-node does not
 * load (or BOILER_ENCODER_RUNTIME=tfjs asks for it). onnxruntime is imported here, not at the
 * top, so that a machine without its native library still indexes and queries.
 */
async function openEncoder(onnx: string | Uint8Array, tfjs: () => Promise<ClipEncoderSession> | ClipEncoderSession): Promise<ClipEncoderSession> {
  const runtime = encoderRuntime();
  if (runtime === 'onnx') {
    const loaded = await import('../model/onnx/runtime.js').catch((error: unknown) => {
      process.stderr.write(`onnxruntime-node does not load (${String(error).split('\n')[0]}); using the TensorFlow.js encoder\n`);
      return undefined;
    });
    if (loaded) return loaded.OnnxEncoder.load(onnx);
  }
  return tfjs();
}

/** Compiles a checkpoint's encoder to ONNX and opens it. */
export async function compileEncoder(checkpointPath: string, name: EncoderName): Promise<CompiledEncoder> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(checkpointPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserError(`cannot read checkpoint ${checkpointPath} (${code}): pass --checkpoint SAVE/vqvae_NNN.safetensors`);
  }
  const weights = parseSafetensors(bytes, checkpointPath).tensors;
  const onnx = buildEncoderOnnx(weights, name);
  return {
    onnx,
    weights,
    encoder: await openEncoder(onnx, () => TfjsEncoder.fromStateDict(weights, name, checkpointPath)),
    checkpoint: { path: resolve(checkpointPath), sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}

/** The model directory's encoder, to embed query audio, checked against what its manifest committed. */
export async function loadModelEncoder(modelDir: string): Promise<ClipEncoderSession> {
  const path = modelFile(modelDir, 'encoder');
  const manifest = readManifest(modelDir);
  if (!existsSync(path)) {
    throw new UserError(`${path} is missing: ${manifest ? repairAdvice(manifest) : 'run boiler index to write it'}`);
  }
  const committed = (file: ModelFile) => (manifest?.files?.[file] ? readCommitted(modelDir, file, manifest) : modelFile(modelDir, file));
  return openEncoder(committed('encoder'), () => {
    if (manifest?.encoder === MFCC_ENCODER) return mfccJsEncoder();
    committed('tfjsEncoder');
    return TfjsEncoder.load(modelFile(modelDir, 'tfjsEncoder'));
  });
}

/** How the model directory embeds a clip, as its manifest committed it (statistics checked like its other files). */
export function readEmbeddingSettings(modelDir: string): EmbeddingSettings {
  const manifest = readManifest(modelDir);
  const window = manifest?.window ?? 'first';
  return manifest?.standardise ? { window, statistics: readStatistics(modelDir, manifest) } : { window };
}
