import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { CLIP_SAMPLES } from '../../src/audio/clip.js';
import type { EncoderName } from '../../src/model/encoders.js';
import { buildEncoderOnnx } from '../../src/model/onnx/graph.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { worstRowCosine } from '../model/reference.js';

/** Runs a debug build (embedding plus log_mel, codes_t, quant_t, codes_b) of `encoder` on `count` clips. */
export async function runDebug(stateDict: TensorMap, encoder: EncoderName, wavs: Float32Array, count: number): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(buildEncoderOnnx(stateDict, encoder, { debugOutputs: true }));
  try {
    return await session.run({ wav: new ort.Tensor('float32', wavs, [count, 1, CLIP_SAMPLES]) });
  } finally {
    await session.release();
  }
}

/** Asserts every row's cosine similarity to the reference row is at least 0.999. */
export function assertCosines(got: Float32Array, want: Float32Array, rows: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const worst = worstRowCosine(got, want, rows);
  assert.ok(worst >= 0.999, `${what}: worst row cosine ${worst}`);
}

/** Asserts at least 99% of codes are equal. Ours are (N, mel, time); the original's id_t/id_b (and tfjs's) are (N, time, mel). */
export function assertCodesAgree(ours: BigInt64Array, theirs: ArrayLike<number | bigint>, clips: number, mel: number, time: number, what: string): void {
  assert.equal(ours.length, theirs.length, `${what}: length`);
  let equal = 0;
  for (let n = 0; n < clips; n++) {
    for (let h = 0; h < mel; h++) {
      for (let w = 0; w < time; w++) equal += ours[(n * mel + h) * time + w] === BigInt(theirs[(n * time + w) * mel + h]) ? 1 : 0;
    }
  }
  assert.ok(equal / ours.length >= 0.99, `${what}: ${equal} of ${ours.length} codes equal`);
}
