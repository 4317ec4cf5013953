import { Worker } from 'node:worker_threads';

/** Starts a worker thread running a TypeScript module (a URL, usually `new URL('./x.ts', import.meta.url)`). */
export function startTsWorker(module: URL): Worker {
  return new Worker(new URL('./ts-worker.js', import.meta.url), { workerData: { tsModule: module.href } });
}
