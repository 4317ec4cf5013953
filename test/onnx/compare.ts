import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { CLIP_SAMPLES } from '../../src/audio/clip.js';
import { buildEncoderOnnx, type EncoderName } from '../../src/model/onnx/graph.js';
import type { TensorMap } from '../../src/model/safetensors.js';

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
  const width = got.length / rows;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      dot += got[i] * want[i];
      a += got[i] ** 2;
      b += want[i] ** 2;
    }
    const cosine = dot / Math.sqrt(a * b);
    assert.ok(cosine >= 0.999, `${what} clip ${r}: cosine ${cosine}`);
  }
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
