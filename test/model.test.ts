import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MEL } from '../src/audio/mel.js';
import { UserError } from '../src/errors.js';
import { chooseBackend } from '../src/model/backend.js';
import { bagOfCodes, embeddingSize, TFJS_EMBEDDINGS, ENCODER_NAMES } from '../src/model/encoders.js';
import { codeUsageEntropy, quantize, targetNorm } from '../src/model/quantize.js';
import { createVQVAE2 } from '../src/model/vqvae.js';
import { PRESETS, parameterCount, parameterSpecs } from '../src/model/vqvae2.js';
import { lossAndGradients } from '../src/train/objective.js';
import { floats, referenceOutputs, referenceWeights, relativeError } from './model/reference.js';

await chooseBackend('wasm');

const close = (got: number, want: number, tolerance = 1e-6) => assert.ok(Math.abs(got - want) <= tolerance, `${got} vs ${want}`);

test('the quantiser normalises, picks the nearest code, and computes the original penalties', () => {
  const t = targetNorm(2);
  const x0 = tf.tensor2d([[3, 4], [-2, -2.1]]);
  const codebook = tf.tensor2d([[1, 0], [0, 2], [-1, -1]]);
  const q = quantize(x0, codebook);
  assert.deepEqual([...q.ids.dataSync()], [1, 2]);
  const quant = q.quant.dataSync();
  // Row 0: x = (0.6t, 0.8t) takes code (0, t); row 1 takes (−t/√2, −t/√2).
  [0, t, -t / Math.SQRT2, -t / Math.SQRT2].forEach((v, i) => close(quant[i], v));
  const [vq0] = q.vqPenalty.dataSync();
  close(vq0, (0.6 * t) ** 2 + (0.8 * t - t) ** 2);
  const [enc0] = q.encoderPenalty.dataSync();
  close(enc0, vq0 + (3 - 0.6 * t) ** 2 + (4 - 0.8 * t) ** 2, 1e-5);
  tf.dispose([x0, codebook, q.quant, q.ids, q.vqPenalty, q.encoderPenalty]);
});

test('the quantiser is straight-through, and each penalty reaches only its own side', () => {
  const x0 = tf.tensor2d([[3, 4], [-2, -2.1]]);
  const codebook = tf.tensor2d([[1, 0], [0, 2], [-1, -1]]);
  const weights = tf.tensor2d([[0.3, -0.7], [1.1, 0.2]]);
  const t = targetNorm(2);
  const rescaled = (x: tf.Tensor) => tf.mul(x, tf.div(t, tf.norm(x, 'euclidean', -1, true)));
  const [throughQuant] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(quantize(x as tf.Tensor2D, codebook).quant, weights)))([x0]).map((g) => g.dataSync());
  const throughInput = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(rescaled(x), weights)))(x0).dataSync();
  throughQuant.forEach((v, i) => close(v, throughInput[i], 1e-7));
  const [vqToInput, vqToCodes] = tf.grads((x: tf.Tensor, e: tf.Tensor) => tf.sum(quantize(x as tf.Tensor2D, e as tf.Tensor2D).vqPenalty))([x0, codebook]);
  assert.ok(vqToInput.dataSync().every((v) => v === 0), 'vq penalty must not reach the encoder');
  assert.ok(vqToCodes.dataSync().some((v) => v !== 0), 'vq penalty must reach the codebook');
  const [encToInput, encToCodes] = tf.grads((x: tf.Tensor, e: tf.Tensor) => tf.sum(quantize(x as tf.Tensor2D, e as tf.Tensor2D).encoderPenalty))([x0, codebook]);
  assert.ok(encToCodes.dataSync().every((v) => v === 0), 'encoder penalty must not reach the codebook');
  assert.ok(encToInput.dataSync().some((v) => v !== 0), 'encoder penalty must reach the encoder');
  tf.dispose([x0, codebook, weights, vqToInput, vqToCodes, encToInput, encToCodes]);
});

test('long sums on wasm are accurate: the decoder bias gradient equals its exact value within 1e-5', () => {
  // d loss / d dec.5.bias = mean of sign(recon − mel) over batch × 80 × 256: computable exactly here.
  const model = createVQVAE2('tiny', 6);
  const mel = tf.tensor3d(floats(referenceOutputs().get('mel')), [4, MEL.nMels, MEL.frames]);
  const { recon, ...rest } = model.forward(mel);
  const r = recon.dataSync();
  const m = mel.dataSync();
  let signs = 0;
  for (let i = 0; i < r.length; i++) signs += Math.sign(r[i] - m[i]);
  const exact = signs / r.length;
  const result = lossAndGradients(model, mel);
  const got = result.grads.get('dec.5.bias')!.dataSync()[0];
  assert.ok(Math.abs(got / exact - 1) < 1e-5, `${got} vs exact ${exact}`);
  tf.dispose([recon, ...Object.values(rest), result.loss, result.recon, result.latent, result.idT, result.idB, ...result.grads.values(), mel]);
  model.dispose();
});

test('code-usage entropy is in nats: 0 for one code, ln k for k codes used equally', () => {
  assert.equal(codeUsageEntropy([5, 5, 5, 5], 8), 0);
  close(codeUsageEntropy([0, 1, 2, 3], 4), Math.log(4), 1e-12);
  close(codeUsageEntropy([0, 0, 1, 3], 4), -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25)), 1e-12);
  assert.equal(codeUsageEntropy([], 4), 0);
});

test('bags of codes are L2-normalised histograms per clip', () => {
  const bags = bagOfCodes(Int32Array.from([0, 0, 2, 1, 1, 1]), 2, 3);
  [2 / Math.sqrt(5), 0, 1 / Math.sqrt(5), 0, 1, 0].forEach((v, i) => close(bags[i], v));
});

test('the paper preset has the original 10,124,865 parameters and the tiny one a few percent of that', () => {
  assert.equal(parameterCount(PRESETS.paper), 10_124_865);
  const tiny = createVQVAE2('tiny');
  const count = [...tiny.variables.values()].reduce((sum, v) => sum + v.size, 0);
  assert.equal(count, parameterCount(PRESETS.tiny));
  assert.ok(count < 0.05 * 10_124_865, `tiny has ${count} parameters`);
  tiny.dispose();
});

test('stateDict round-trips the reference checkpoint exactly: names, order, shapes and values', () => {
  const reference = referenceWeights();
  const model = createVQVAE2('tiny');
  model.loadStateDict(reference);
  const saved = model.stateDict();
  assert.deepEqual([...saved.keys()], [...reference.keys()]);
  for (const [name, t] of reference) {
    const got = saved.get(name)!;
    assert.equal(got.dtype, 'F32');
    assert.deepEqual(got.shape, t.shape, name);
    assert.ok(Buffer.from(got.data.buffer).equals(Buffer.from(t.data.buffer)), `${name} values differ`);
  }
  model.dispose();
});

test('a checkpoint of the other preset, or of another model, is one clear UserError', () => {
  const paper = createVQVAE2('paper');
  assert.throws(() => paper.loadStateDict(referenceWeights(), 'vqvae_010.safetensors'), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /^vqvae_010\.safetensors is a checkpoint of the 'tiny' preset, not 'paper': pass --preset tiny$/);
    return true;
  });
  paper.dispose();
  const tiny = createVQVAE2('tiny');
  const broken = createVQVAE2('tiny', 1).stateDict();
  broken.delete('dec.5.bias');
  broken.set('dec.5.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) });
  assert.throws(() => tiny.loadStateDict(broken, 'x.safetensors'), /^UserError: x\.safetensors does not fit the 'tiny' VQ-VAE2: dec\.5\.weight is \[2, 2\], expected \[8, 1, 8, 8\]; missing dec\.5\.bias$/);
  tiny.dispose();
});

test('initialisation is seeded and PyTorch-like: uniform within ±1/√fan_in, codebooks at norm 0.06·√dim', () => {
  const a = createVQVAE2('tiny', 3).stateDict();
  const b = createVQVAE2('tiny', 3).stateDict();
  const c = createVQVAE2('tiny', 4).stateDict();
  const same = (x: typeof a, y: typeof a) => [...x].every(([name, t]) => Buffer.from(t.data.buffer).equals(Buffer.from(y.get(name)!.data.buffer)));
  assert.ok(same(a, b), 'same seed, same weights');
  assert.ok(!same(a, c), 'another seed, other weights');
  for (const spec of parameterSpecs(PRESETS.tiny)) {
    const values = a.get(spec.name)!.data as Float32Array;
    if (spec.kind === 'codebook') {
      const dim = spec.torchShape[2];
      for (let code = 0; code < spec.torchShape[1]; code++) {
        const row = values.subarray(code * dim, (code + 1) * dim);
        close(Math.hypot(...row), targetNorm(dim), 1e-5);
      }
      continue;
    }
    const bound = 1 / Math.sqrt(spec.fanIn);
    const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(largest <= bound, `${spec.name}: ${largest} > ${bound}`);
    if (values.length >= 100) assert.ok(largest > 0.9 * bound, `${spec.name} does not fill its range`);
  }
});

test('renormaliseCodebooks rescales every raw code to norm 0.06·√dim', () => {
  const model = createVQVAE2('tiny');
  const book = model.variables.get('quantize_b.embedding0')!;
  book.assign(tf.randomNormal(book.shape, 0, 3, 'float32', 1));
  model.renormaliseCodebooks();
  const [codes, dim] = book.shape;
  const values = book.dataSync();
  for (let code = 0; code < codes; code++) close(Math.hypot(...values.subarray(code * dim, (code + 1) * dim)), targetNorm(dim), 1e-5);
  model.dispose();
});

test('the tiny preset trains on wasm: a few Adam steps lower the loss, with no tensor growth step over step', () => {
  const model = createVQVAE2('tiny', 0);
  const mel = tf.tensor3d(floats(referenceOutputs().get('mel')), [4, MEL.nMels, MEL.frames]);
  const optimizer = tf.train.adam(3e-3);
  const backend = tf.engine().backend;
  const losses: number[] = [];
  const counts: number[] = [];
  const started = performance.now();
  for (let step = 0; step < 8; step++) {
    const { loss, recon, latent, idT, idB, grads } = lossAndGradients(model, mel);
    losses.push(loss.dataSync()[0]);
    optimizer.applyGradients([...grads].map(([name, tensor]) => ({ name: model.variables.get(name)!.name, tensor })));
    model.renormaliseCodebooks();
    tf.dispose([loss, recon, latent, idT, idB, ...grads.values()]);
    counts.push(tf.memory().numTensors, backend.numDataIds());
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`tiny preset, 8 steps of batch 4 on wasm: ${seconds.toFixed(1)} s; loss ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}`);
  assert.ok(losses.at(-1)! < losses[0], `loss went ${losses.join(' → ')}`);
  // Adam creates its moment variables in the first step; from the second on nothing may grow.
  assert.deepEqual(counts.slice(2), Array.from({ length: counts.length - 2 }, (_, i) => counts[2 + (i % 2)]));
  mel.dispose();
  optimizer.dispose();
  model.dispose();
});

test('every encoder gives one finite row of its size per clip', () => {
  const model = createVQVAE2('tiny', 2);
  const mel = tf.randomNormal([3, MEL.nMels, MEL.frames], -2, 1, 'float32', 5) as tf.Tensor3D;
  for (const name of ENCODER_NAMES) {
    const rows = TFJS_EMBEDDINGS[name](model, mel);
    assert.equal(rows.length, 3 * embeddingSize(model, name), name);
    assert.ok(rows.every(Number.isFinite), name);
  }
  mel.dispose();
  model.dispose();
});

test('micro-batches give the same losses, codes and gradients as one pass, without leaking tensors', () => {
  const model = createVQVAE2('tiny', 6);
  const mel = tf.tensor3d(floats(referenceOutputs().get('mel')), [4, MEL.nMels, MEL.frames]);
  const whole = lossAndGradients(model, mel);
  const before = tf.memory().numTensors;
  const sliced = lossAndGradients(model, mel, undefined, 3);
  const made = tf.memory().numTensors - before;
  assert.equal(made, 5 + sliced.grads.size, 'only the returned tensors remain');
  for (const key of ['loss', 'recon', 'latent'] as const) close(sliced[key].dataSync()[0], whole[key].dataSync()[0], 1e-5 * Math.abs(whole[key].dataSync()[0]));
  assert.deepEqual([...sliced.idB.dataSync()], [...whole.idB.dataSync()]);
  assert.deepEqual(sliced.idT.shape, [4, 23, 1]);
  for (const [name, g] of whole.grads) {
    const error = relativeError(sliced.grads.get(name)!.dataSync(), g.dataSync());
    assert.ok(error < 1e-4, `${name}: relative difference ${error}`);
  }
  for (const r of [whole, sliced]) tf.dispose([r.loss, r.recon, r.latent, r.idT, r.idB, ...r.grads.values()]);
  mel.dispose();
  model.dispose();
});
