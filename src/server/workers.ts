import cluster, { type Address, type Worker } from 'node:cluster';
import { UserError } from '../errors.js';

export interface WorkerPool {
  /** Where the workers listen (one socket, shared). */
  url: string;
  /**
   * Sends every worker SIGTERM (each drains its requests in flight); resolves once all have exited:
   * true when each exited with 0, or by that SIGTERM (one still starting has no handler for it yet).
   */
  stop(): Promise<boolean>;
}

function urlOf({ address, port }: Address): string {
  const host = address ?? '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What a worker that cannot start tells the primary, so that the reason is printed once, not once per worker. */
export function reportStartError(message: string): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send({ startError: message }, undefined, {}, () => resolve());
  });
}

function startErrorOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || !('startError' in message)) return undefined;
  return typeof message.startError === 'string' ? message.startError : undefined;
}

/**
 * Runs `count` cluster workers, each executing this process's own command line: the serve command
 * sees `cluster.isWorker` and serves. They share one listening socket, from which the primary
 * hands connections out in turn, so that each worker's event loop (JSON, HTTP, search) takes a
 * share of the load, as the original's `uvicorn --workers N` did.
 *
 * Resolves once every worker listens. When a worker exits before that, the others are stopped and
 * this rejects with the reason the worker reported (reportStartError). A worker that dies later is
 * replaced; a replacement that cannot start either is reported, and the rest serve on.
 */
export function startWorkers(count: number, log: (line: string) => void): Promise<WorkerPool> {
  const listening = new Set<Worker>();
  const exits = new Map<Worker, Promise<boolean>>();
  let url = '';
  let started = false;
  let stopping = false;
  let startError: string | undefined;

  const stop = async (): Promise<boolean> => {
    stopping = true;
    for (const worker of exits.keys()) if (!worker.isDead()) worker.process.kill('SIGTERM');
    const clean = await Promise.all(exits.values());
    return clean.every(Boolean);
  };

  return new Promise((resolve, reject) => {
    const fork = () => {
      const worker = cluster.fork();
      exits.set(worker, new Promise((done) => worker.once('exit', (code, signal) => done(code === 0 || signal === 'SIGTERM'))));
      worker.once('listening', (address) => {
        listening.add(worker);
        url ||= urlOf(address);
        if (started) log(`worker ${worker.process.pid} serves in its place`);
        if (!started && listening.size === count) {
          started = true;
          resolve({ url, stop });
        }
      });
      worker.on('message', (message: unknown) => {
        startError ??= startErrorOf(message);
      });
      worker.once('exit', (code, signal) => {
        exits.delete(worker);
        const wasListening = listening.delete(worker);
        if (stopping) return;
        const how = signal ?? `code ${code}`;
        if (!started) {
          void stop().then(() => reject(new UserError(startError ?? `a server worker exited (${how}) before it listened`)));
        } else if (wasListening) {
          log(`worker ${worker.process.pid} exited (${how}): starting another`);
          fork();
        } else {
          log(`a replacement worker exited (${how}) before it listened: serving on with ${listening.size} workers`);
        }
      });
    };
    for (let i = 0; i < count; i++) fork();
  });
}
