import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { ExitCode, UserError } from '../errors.js';
import { MediaEmbedder } from '../search/media-embedder.js';
import { modelFile } from '../search/model-dir.js';
import { repairAdvice } from '../search/model-manifest.js';
import type { Manifest } from '../search/types.js';
import { ModelIndex } from '../search/model-index.js';
import { feedbackFileFor } from './feedback.js';
import { startServer } from './server.js';
import { reportStartError, startWorkers } from './workers.js';

/** `boiler serve`'s settings besides the model directory. */
export interface ServeOptions {
  host: string;
  port: number;
  maxUploadMb: number;
  /** ffmpeg binary for uploads (default: locateFfmpeg's). */
  ffmpeg?: string;
  /** Server processes sharing the port; more than one makes this process their supervisor. */
  workers: number;
  /** Where votes go (default: MODEL_DIR/feedback.jsonl). */
  feedback?: string;
  cors?: string[];
  labels?: string;
}

/**
 * Resolves on the first SIGTERM or SIGINT, with its name; a second one stops the process at once.
 * A cluster worker stops on SIGTERM only: Ctrl-C reaches the whole process group, and the primary
 * turns it into one SIGTERM per worker.
 */
function stopSignal(): Promise<string> {
  const signals: NodeJS.Signals[] = cluster.isWorker ? ['SIGTERM'] : ['SIGTERM', 'SIGINT'];
  if (cluster.isWorker) process.on('SIGINT', () => undefined);
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      for (const s of signals) process.off(s, stop);
      resolve(signal);
    };
    for (const signal of signals) process.on(signal, stop);
  });
}

function noEncoderLine(modelDir: string, manifest: Manifest): string {
  return `${modelDir} has no encoder.onnx: POST /nearest/audio will answer 503 (${repairAdvice(manifest)})`;
}

function servingLine(manifest: Manifest, url: string, workers: number): string {
  const { count, distinct, encoder, dimension } = manifest;
  const by = workers > 1 ? ` with ${workers} workers` : '';
  return `serving ${count} clips (${distinct} distinct ${dimension}-d ${encoder} embeddings)${by} at ${url} (docs: ${url}/docs, page: ${url}/)`;
}

/** The primary of `--workers N`: checks the model directory once, then runs and supervises the workers. */
async function superviseWorkers(modelDir: string, options: ServeOptions, log: (line: string) => void): Promise<number> {
  const stopped = stopSignal();
  // Opened here to check it once, before any worker starts; each worker loads its own copy.
  const { manifest } = ModelIndex.open(modelDir);
  // What a worker would stop on, found here once: each would print it.
  if (existsSync(modelFile(modelDir, 'encoder'))) locateFfmpeg(options.ffmpeg);
  else log(noEncoderLine(modelDir, manifest));
  const pool = await startWorkers(options.workers, log);
  log(servingLine(manifest, pool.url, options.workers));
  const signal = await stopped;
  log(`${signal}: finishing requests in flight`);
  const clean = await pool.stop();
  log(clean ? 'stopped' : 'stopped (some worker did not exit cleanly)');
  return clean ? ExitCode.ok : ExitCode.userError;
}

/** One server in this process: the whole of `boiler serve`, or one of its workers. */
async function serveOne(modelDir: string, feedbackFile: string, options: ServeOptions, log: (line: string) => void): Promise<number> {
  // A worker leaves the user-facing lines to the primary and tags what it logs.
  const worker = cluster.isWorker;
  const serverLog = worker ? (line: string) => log(`worker ${process.pid}: ${line}`) : log;
  const stopped = stopSignal();
  const index = ModelIndex.open(modelDir);
  const embedder = existsSync(modelFile(modelDir, 'encoder')) ? await MediaEmbedder.open(modelDir, locateFfmpeg(options.ffmpeg).path) : undefined;
  if (!embedder && !worker) log(noEncoderLine(modelDir, index.manifest));
  const server = await startServer({
    index,
    embedder,
    host: options.host,
    port: options.port,
    maxUploadBytes: Math.round(options.maxUploadMb * (1 << 20)),
    feedbackFile,
    corsOrigins: options.cors,
    labelsFile: options.labels,
    log: serverLog,
  });
  if (worker) {
    await stopped;
  } else {
    log(servingLine(index.manifest, server.url, 1));
    log(`${await stopped}: finishing requests in flight`);
  }
  await server.close();
  await embedder?.close();
  if (!worker) log('stopped');
  return ExitCode.ok;
}

/**
 * Serves `modelDir` over HTTP until SIGTERM (or Ctrl-C), which drains the requests in flight: in
 * this process, or, with `workers` > 1, in that many cluster workers that this process supervises.
 * Called in a worker, it is that worker's server. Resolves to the exit code.
 */
export async function runServer(modelDir: string, options: ServeOptions, log: (line: string) => void): Promise<number> {
  // Checked first, so that a wrong --feedback is the one line a user sees.
  const feedbackFile = feedbackFileFor(modelDir, options.feedback);
  if (cluster.isPrimary && options.workers > 1) return superviseWorkers(modelDir, options, log);
  if (!cluster.isWorker) return serveOne(modelDir, feedbackFile, options, log);
  try {
    return await serveOne(modelDir, feedbackFile, options, log);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    await reportStartError(error.message);
    return ExitCode.userError;
  } finally {
    // The channel to the primary would keep a worker alive, after an error too.
    cluster.worker?.disconnect();
  }
}
