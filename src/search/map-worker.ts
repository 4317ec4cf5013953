/**
 * A worker thread that computes a model directory's map (mapFor), so that the server's event loop
 * goes on answering while UMAP's neighbour graph, which cannot be sliced, takes minutes at 100k clips.
 */
import { parentPort, Worker } from 'node:worker_threads';
import { startTsWorker } from '../util/ts-worker.js';
import { mapFor, type MapPoints } from './map-projection.js';
import type { Manifest } from './types.js';

interface MapRequest {
  dir: string;
  manifest: Manifest;
  dimension: number;
  /** Every vector, one after another. */
  vectors: Float32Array;
}

type MapReply = { progress: number } | { points: MapPoints } | { error: string };

/** mapFor in a worker thread; `onProgress` gets the fraction done. */
export function mapInWorker(dir: string, manifest: Manifest, vectors: Float32Array[], onProgress: (done: number) => void): Promise<MapPoints> {
  const { dimension } = manifest;
  const flat = new Float32Array(vectors.length * dimension);
  vectors.forEach((v, i) => flat.set(v, i * dimension));
  const worker: Worker = startTsWorker(new URL(import.meta.url));
  return new Promise<MapPoints>((resolve, reject) => {
    worker.on('message', (reply: MapReply) => {
      if ('progress' in reply) return onProgress(reply.progress);
      if ('points' in reply) resolve(reply.points);
      else reject(new Error(reply.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the map's worker exited with ${code}`)));
    worker.postMessage({ dir, manifest, dimension, vectors: flat } satisfies MapRequest, [flat.buffer as ArrayBuffer]);
  }).finally(() => void worker.terminate());
}

parentPort?.once('message', ({ dir, manifest, dimension, vectors }: MapRequest) => {
  const rows = Array.from({ length: vectors.length / dimension }, (_, i) => vectors.subarray(i * dimension, (i + 1) * dimension));
  mapFor(dir, manifest, rows, { onProgress: (done, total) => parentPort!.postMessage({ progress: done / total } satisfies MapReply) }).then(
    (points) => parentPort!.postMessage({ points } satisfies MapReply),
    (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies MapReply),
  );
});
