import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { MEL } from '../audio/mel.js';
import { UserError } from '../errors.js';
import { startTsWorker } from '../util/ts-worker.js';
import type { MelReply, MelRequest } from './mel-worker.js';

/**
 * Computes log-mel batches in worker threads. A batch is split across the workers, and the
 * trainer asks for the next batch before it trains on the current one, so decoding and mel
 * computation overlap the model's step on the other cores.
 */
export class MelPool {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (mel: Float32Array) => void; reject: (e: Error) => void }>();

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.workers = Array.from({ length: size }, () => {
      const worker = startTsWorker(new URL('./mel-worker.ts', import.meta.url));
      worker.on('message', (reply: MelReply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(error));
      return worker;
    });
  }

  private settle(reply: MelReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if ('error' in reply) waiter.reject(new UserError(reply.error));
    else waiter.resolve(reply.mel);
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private request(worker: Worker, paths: string[]): Promise<Float32Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, paths } satisfies MelRequest);
    });
  }

  /** The log-mels of `paths`, (paths.length × 80 × 256) row-major. */
  async melBatch(paths: string[]): Promise<Float32Array> {
    const share = Math.ceil(paths.length / this.workers.length);
    const parts = await Promise.all(
      this.workers
        .map((worker, i) => paths.slice(i * share, (i + 1) * share))
        .map((part, i) => (part.length ? this.request(this.workers[i], part) : Promise.resolve(new Float32Array(0)))),
    );
    const out = new Float32Array(paths.length * MEL.nMels * MEL.frames);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
