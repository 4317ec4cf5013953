import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, requestedBackend, type ModuleLoader } from '../src/model/backend.js';
import { UserError } from '../src/errors.js';

/** The real loader, except that the named packages look uninstalled. */
function without(...missing: string[]): ModuleLoader {
  return async (pkg) => {
    if (missing.includes(pkg)) throw new Error(`Cannot find package '${pkg}'`);
    return import(pkg);
  };
}

test('auto skips the absent tfjs-node packages and picks wasm', async () => {
  // Neither tfjs-node nor tfjs-node-gpu is installed on this machine (their install downloads libtensorflow).
  const chosen = await chooseBackend('auto');
  assert.equal(chosen.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(chosen.skipped.map((s) => s.name), ['tensorflow-gpu', 'tensorflow']);
  assert.equal(tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync().join(), '4,6');
});

test('auto falls back to the pure-JS cpu backend when wasm is absent too', async () => {
  const chosen = await chooseBackend('auto', without('@tensorflow/tfjs-backend-wasm'));
  assert.equal(chosen.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(chosen.skipped.map((s) => s.name), ['tensorflow-gpu', 'tensorflow', 'wasm']);
});

test('a forced backend that is missing is a UserError naming the npm command', async () => {
  await assert.rejects(chooseBackend('tensorflow-gpu'), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /npm pkg set 'allowScripts\[@tensorflow\/tfjs-node-gpu\]=true' --json && npm install @tensorflow\/tfjs-node-gpu@4.22.0/);
    return true;
  });
  await assert.rejects(chooseBackend('wasm', without('@tensorflow/tfjs-backend-wasm')), /npm install @tensorflow\/tfjs-backend-wasm/);
});

test('a forced backend that is present is used', async () => {
  assert.equal((await chooseBackend('cpu')).name, 'cpu');
  assert.equal((await chooseBackend('wasm')).name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('the flag wins over BOILER_BACKEND, which wins over auto; bad names are rejected', () => {
  assert.equal(requestedBackend(undefined, {}), 'auto');
  assert.equal(requestedBackend(undefined, { BOILER_BACKEND: 'cpu' }), 'cpu');
  assert.equal(requestedBackend('wasm', { BOILER_BACKEND: 'cpu' }), 'wasm');
  assert.throws(() => requestedBackend(undefined, { BOILER_BACKEND: 'gpu' }), /unknown backend 'gpu' \(from BOILER_BACKEND\)/);
});
