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

/**
 * Runs `count` cluster workers, each executing this process's own command line: the serve command
 * sees `cluster.isWorker` and serves. They share one listening socket, from which the primary
 * hands connections out in turn, so that each worker's event loop (JSON, HTTP, search) takes a
 * share of the load, as the original's `uvicorn --workers N` did.
 *
 * Resolves once every worker listens. A worker that exits before that has printed its own error
 * line; the others are stopped and this rejects. A worker that dies later is replaced, once: a
 * replacement that cannot start either is reported, and the rest serve on.
 */
export function startWorkers(count: number, log: (line: string) => void): Promise<WorkerPool> {
  const listening = new Set<Worker>();
  const exits = new Map<Worker, Promise<boolean>>();
  let url = '';
  let started = false;
  let stopping = false;

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
      worker.once('exit', (code, signal) => {
        exits.delete(worker);
        const wasListening = listening.delete(worker);
        if (stopping) return;
        const how = signal ?? `code ${code}`;
        if (!started) {
          void stop().then(() => reject(new UserError(`a server worker exited (${how}) before it listened; its error is above`)));
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
