import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src/model/backend.js';
import { Adam } from '../src/train/adam.js';
import { oneCycle } from '../src/train/one-cycle.js';

/** PyTorch's own numbers, written by test/data/make-optimiser-reference.py. */
const reference = JSON.parse(readFileSync(new URL('./data/optimiser-reference.json', import.meta.url), 'utf8')) as {
  total_steps: number;
  max_lr: number;
  initial: number[];
  target: number[];
  lr: number[];
  beta1: number[];
  params: number[][];
};

function close(actual: number, expected: number, relative: number, what: string, absolute = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected) + absolute, `${what}: ${actual} vs ${expected}`);
}

test('the OneCycle schedule gives PyTorch OneCycleLR’s lr and β1 at every step', () => {
  const schedule = oneCycle({ maxLr: reference.max_lr, totalSteps: reference.total_steps });
  reference.lr.forEach((lr, step) => {
    const values = schedule(step);
    close(values.lr, lr, 1e-9, `lr at step ${step}`);
    close(values.beta1, reference.beta1[step], 1e-12, `beta1 at step ${step}`);
  });
  assert.throws(() => schedule(reference.total_steps + 1), /past its total/);
});

test('Adam under the OneCycle schedule follows PyTorch’s parameter trajectory', async () => {
  await chooseBackend('cpu');
  const p = tf.variable(tf.tensor1d(reference.initial));
  const target = tf.tensor1d(reference.target);
  const adam = new Adam(new Map([['p', p]]));
  const schedule = oneCycle({ maxLr: reference.max_lr, totalSteps: reference.total_steps });
  for (let step = 0; step < reference.total_steps; step++) {
    const { grads } = tf.variableGrads(() => p.sub(target).square().sum().add(p.abs().sum()) as tf.Scalar, [p]);
    const { lr, beta1 } = schedule(step);
    adam.apply({ p: grads[p.name] }, lr, beta1);
    tf.dispose(grads);
    const got = p.dataSync();
    reference.params[step].forEach((want, i) => close(got[i], want, 1e-5, `param ${i} after step ${step + 1}`, 1e-6));
  }
  assert.equal(adam.step, reference.total_steps);
});

test('Adam state saved and loaded continues exactly where it stopped', async () => {
  await chooseBackend('cpu');
  const run = (stopAt?: number) => {
    const p = tf.variable(tf.tensor1d([1, 2, 3]));
    let adam = new Adam(new Map([['p', p]]));
    for (let step = 0; step < 6; step++) {
      if (step === stopAt) {
        const saved = new Map([...adam.state()].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
        const fresh = new Adam(new Map([['p', p]]));
        fresh.loadState(adam.step, saved);
        adam.dispose();
        adam = fresh;
      }
      adam.apply({ p: p.mul(2) }, 0.1, 0.9);
    }
    return [...p.dataSync()];
  };
  assert.deepEqual(run(3), run());
});
