import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { buildEncoderOnnx, type EncoderName } from '../model/onnx/graph.js';
import { OnnxEncoder } from '../model/onnx/runtime.js';
import { parseSafetensors } from '../model/safetensors.js';
import { MODEL_FILES, modelFile } from './model-dir.js';

export interface CompiledEncoder {
  /** encoder.onnx's bytes: the role the original's TorchScript `encoder.pt` played. */
  onnx: Uint8Array;
  encoder: OnnxEncoder;
  /** The checkpoint's path and content hash, for the manifest (a rerun must use the same weights). */
  checkpoint: { path: string; sha256: string };
}

/** Compiles a checkpoint's encoder to ONNX and loads it with onnxruntime. */
export async function compileEncoder(checkpointPath: string, name: EncoderName): Promise<CompiledEncoder> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(checkpointPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserError(`cannot read checkpoint ${checkpointPath} (${code}): pass --checkpoint SAVE/vqvae_NNN.safetensors`);
  }
  const onnx = buildEncoderOnnx(parseSafetensors(bytes, checkpointPath).tensors, name);
  return {
    onnx,
    encoder: await OnnxEncoder.load(onnx),
    checkpoint: { path: resolve(checkpointPath), sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}

/** The model directory's encoder, loaded with onnxruntime, to embed query audio. */
export async function loadModelEncoder(modelDir: string): Promise<OnnxEncoder> {
  const path = modelFile(modelDir, 'encoder');
  if (!existsSync(path)) throw new UserError(`${modelDir} has no ${MODEL_FILES.encoder}: run boiler index again to write it`);
  return OnnxEncoder.load(path);
}
