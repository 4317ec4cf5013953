/**
 * Training throughput (src/bench/train-bench.ts, as `boiler bench train`): clips/s of the trainer's loop
 * for the tiny and paper presets over a few steps on the wasm backend, and each step's wait for the
 * mel workers. Written as CSV + PNG under BENCH_OUT (default tmp/bench).
 */
import { runBenchmark } from '../src/bench/suite.js';

const train = await runBenchmark('train', process.env.BENCH_OUT ?? 'tmp/bench', { log: console.log });
console.log(`${train.result.summary.join('\n')}\n→ ${train.csv}, ${train.png} (${train.seconds.toFixed(0)} s)`);
