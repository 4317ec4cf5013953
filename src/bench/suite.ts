import { benchConvert } from './convert-bench.js';
import { benchEncoder } from './encoder-bench.js';
import { writeBenchResult, type BenchResult } from './result.js';
import { benchIndex } from './search-index-bench.js';
import { benchServe } from './serve-bench.js';
import { benchTrain } from './train-bench.js';

export interface SuiteOptions {
  /** A model directory: the index and serve benchmarks also run on its embeddings. */
  modelDir?: string;
  /** Progress lines (each benchmark says what it is measuring). */
  log?: (line: string) => void;
}

/** `boiler bench NAME`: each benchmark, at sizes that keep the whole suite to a few minutes on 2 cores. */
export const BENCHMARKS: Record<string, (options: SuiteOptions) => Promise<BenchResult>> = {
  encoder: benchEncoder,
  index: benchIndex,
  serve: benchServe,
  convert: benchConvert,
  train: benchTrain,
};

export const BENCHMARK_NAMES = Object.keys(BENCHMARKS);

export interface WrittenBench {
  result: BenchResult;
  csv: string;
  png: string;
  seconds: number;
}

/** Runs one benchmark and writes OUT/<name>.csv and OUT/<name>.png. */
export async function runBenchmark(name: string, out: string, options: SuiteOptions = {}): Promise<WrittenBench> {
  const started = performance.now();
  const result = await BENCHMARKS[name](options);
  return { result, ...(await writeBenchResult(out, result)), seconds: (performance.now() - started) / 1000 };
}
