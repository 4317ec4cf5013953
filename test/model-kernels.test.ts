import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src/model/backend.js';
import { registerWasmConvKernels } from '../src/model/wasm-kernels.js';
import { relativeError } from './model/reference.js';

// The kernels registered for wasm against tfjs's pure-JS cpu backend, on every conv geometry of
// the VQ-VAE2 (small channel counts): outputs and both gradients.
await chooseBackend('cpu');
await chooseBackend('wasm');
registerWasmConvKernels();

interface Geometry {
  name: string;
  transposed: boolean;
  /** Batch, height, width of the layer's input. */
  input: [number, number, number];
  kernel: number;
  stride: number;
  padding: number;
  inChannels: number;
  outChannels: number;
}

const GEOMETRIES: Geometry[] = [
  { name: 'enc_b.0 8/2/1', transposed: false, input: [2, 80, 256], kernel: 8, stride: 2, padding: 1, inChannels: 1, outChannels: 3 },
  { name: 'enc_b.2 4/2/1', transposed: false, input: [2, 38, 126], kernel: 4, stride: 2, padding: 1, inChannels: 3, outChannels: 5 },
  { name: '3×3/1/1', transposed: false, input: [2, 19, 63], kernel: 3, stride: 1, padding: 1, inChannels: 4, outChannels: 3 },
  { name: '1×1', transposed: false, input: [2, 19, 63], kernel: 1, stride: 1, padding: 0, inChannels: 4, outChannels: 3 },
  { name: 'enc_t.0 20/2/1', transposed: false, input: [2, 19, 63], kernel: 20, stride: 2, padding: 1, inChannels: 3, outChannels: 2 },
  { name: 'dec_t.3 ConvT 21/2/1', transposed: true, input: [2, 1, 23], kernel: 21, stride: 2, padding: 1, inChannels: 3, outChannels: 2 },
  { name: 'dec.3 ConvT 4/2/1', transposed: true, input: [2, 19, 63], kernel: 4, stride: 2, padding: 1, inChannels: 3, outChannels: 2 },
  { name: 'dec.5 ConvT 8/2/1', transposed: true, input: [2, 38, 126], kernel: 8, stride: 2, padding: 1, inChannels: 3, outChannels: 1 },
];

function seeded(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  });
}

/** Output, input gradient and filter gradient of sum(layer(x) · r) on the active backend. */
function run(g: Geometry, x: Float32Array, w: Float32Array, r: Float32Array) {
  return tf.tidy(() => {
    const [n, h, width] = g.input;
    const input = tf.tensor4d(x, [n, h, width, g.inChannels]);
    const filterShape: [number, number, number, number] = g.transposed
      ? [g.kernel, g.kernel, g.outChannels, g.inChannels]
      : [g.kernel, g.kernel, g.inChannels, g.outChannels];
    const filter = tf.tensor4d(w, filterShape);
    const grow = (size: number) => (size - 1) * g.stride - 2 * g.padding + g.kernel;
    const layer = (a: tf.Tensor, b: tf.Tensor) =>
      g.transposed
        ? tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [n, grow(h), grow(width), g.outChannels], g.stride, g.padding)
        : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, g.stride, g.padding);
    const output = layer(input, filter);
    const weights = tf.tensor(r.subarray(0, output.size), output.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layer(a, b), weights)))([input, filter]);
    return { output: output.dataSync(), dx: dx.dataSync(), dw: dw.dataSync() };
  });
}

for (const g of GEOMETRIES) {
  test(`wasm conv kernels equal the cpu backend: ${g.name} (output, input and filter gradients within 1e-5)`, async () => {
    const [n, h, w] = g.input;
    const x = seeded(n * h * w * g.inChannels, 1);
    const filter = seeded(g.kernel * g.kernel * g.inChannels * g.outChannels, 2);
    const r = seeded(n * 80 * 256 * g.outChannels, 3);
    await tf.setBackend('cpu');
    const want = run(g, x, filter, r);
    await tf.setBackend('wasm');
    const got = run(g, x, filter, r);
    for (const key of ['output', 'dx', 'dw'] as const) {
      const error = relativeError(got[key], want[key]);
      assert.ok(error < 1e-5, `${key}: relative error ${error}`);
    }
  });
}

test('wasm matmuls with transposed operands and long sums equal the cpu backend', async () => {
  const a = seeded(300 * 70, 4);
  const b = seeded(70 * 90, 5);
  const long = seeded(3 * 40000, 6).map((v) => v + 0.5);
  const compute = () =>
    tf.tidy(() => {
      const left = tf.tensor2d(a, [300, 70]);
      const right = tf.tensor2d(b, [70, 90]);
      const values = tf.tensor3d(long, [3, 200, 200]);
      return [
        tf.matMul(tf.transpose(left), tf.transpose(right), true, true).dataSync(),
        tf.matMul(left, tf.transpose(right), false, true).dataSync(),
        tf.sum(values, [1, 2]).dataSync(),
        tf.sum(values, 0, true).dataSync(),
        tf.sum(values, [2, 1], true).dataSync(),
        tf.sum(values).dataSync(),
      ];
    });
  await tf.setBackend('cpu');
  const want = compute();
  await tf.setBackend('wasm');
  const got = compute();
  want.forEach((w, i) => assert.ok(relativeError(got[i], w) < 1e-6, `case ${i}: relative error ${relativeError(got[i], w)}`));
});
