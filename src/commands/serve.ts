import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { action, corsOrigins, integerIn, positiveNumber, type CommandContext } from '../cli/context.js';
import { ExitCode, UserError } from '../errors.js';
import { MediaEmbedder } from '../search/media-embedder.js';
import { modelFile, resolveModelDir } from '../search/model-dir.js';
import { repairAdvice, type Manifest } from '../search/manifest.js';
import { ModelIndex } from '../search/model-index.js';
import { startServer } from '../server/server.js';
import { feedbackFileFor } from '../server/feedback.js';
import { reportStartError, startWorkers } from '../server/workers.js';

interface ServeCommandOptions {
  modelDir?: string;
  host: string;
  port: number;
  maxUploadMb: number;
  ffmpeg?: string;
  workers: number;
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
async function superviseWorkers(modelDir: string, options: ServeCommandOptions, context: CommandContext): Promise<number> {
  const stopped = stopSignal();
  // Opened here to check it once, before any worker starts; each worker loads its own copy.
  const { manifest } = ModelIndex.open(modelDir);
  // What a worker would stop on, found here once: each would print it.
  if (existsSync(modelFile(modelDir, 'encoder'))) locateFfmpeg(options.ffmpeg);
  else context.info(noEncoderLine(modelDir, manifest));
  const pool = await startWorkers(options.workers, context.info);
  context.info(servingLine(manifest, pool.url, options.workers));
  const signal = await stopped;
  context.info(`${signal}: finishing requests in flight`);
  const clean = await pool.stop();
  context.info(clean ? 'stopped' : 'stopped (some worker did not exit cleanly)');
  return clean ? ExitCode.ok : ExitCode.userError;
}

/** One server in this process: the whole of `boiler serve`, or one of its workers. */
async function serveOne(modelDir: string, feedbackFile: string, options: ServeCommandOptions, context: CommandContext): Promise<void> {
  // A worker leaves the user-facing lines to the primary and tags what it logs.
  const worker = cluster.isWorker;
  const log = worker ? (line: string) => context.info(`worker ${process.pid}: ${line}`) : context.info;
  const stopped = stopSignal();
  const index = ModelIndex.open(modelDir);
  const embedder = existsSync(modelFile(modelDir, 'encoder')) ? await MediaEmbedder.open(modelDir, locateFfmpeg(options.ffmpeg).path) : undefined;
  if (!embedder && !worker) context.info(noEncoderLine(modelDir, index.manifest));
  const server = await startServer({
    index,
    embedder,
    host: options.host,
    port: options.port,
    maxUploadBytes: Math.round(options.maxUploadMb * (1 << 20)),
    feedbackFile,
    corsOrigins: options.cors,
    labelsFile: options.labels,
    log,
  });
  if (worker) {
    await stopped;
  } else {
    context.info(servingLine(index.manifest, server.url, 1));
    context.info(`${await stopped}: finishing requests in flight`);
  }
  await server.close();
  await embedder?.close();
  if (!worker) context.info('stopped');
}

/** `boiler serve`: the HTTP API over a model directory until SIGTERM, which drains requests in flight. */
export function serveCommand(program: Command): Command {
  return new Command('serve')
    .description('serve nearest-coub queries over HTTP, with a page to search by sound, listen, vote and see the map at /, and the API docs at /docs')
    .option('--model-dir <dir>', 'model directory (default: BOILER_MODEL_DIR), as boiler index prints it')
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', integerIn(0, 65535), 8000)
    .option('--max-upload-mb <n>', 'largest media upload POST /nearest/audio accepts, in MiB', positiveNumber, 20)
    .option('--ffmpeg <path>', 'ffmpeg binary for uploads (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .option('--workers <n>', 'server processes sharing the port, each with the index loaded (as uvicorn --workers)', integerIn(1, 256), 1)
    .option('--feedback <file>', "JSON-lines file the page's thumbs up/down votes are appended to (default: MODEL_DIR/feedback.jsonl)")
    .option('--labels <file>', "labels file (clip,label CSV or TSV, as boiler eval reads) that colours the map (default: the crawl's categories)")
    .option('--cors <origins>', 'let pages from these origins call the API from a browser: * or origins separated by commas', corsOrigins)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler serve --model-dir save/vqvae_010/BagTopVQVAE\n' +
        '  $ BOILER_MODEL_DIR=save/vqvae_010/BagTopVQVAE boiler serve --host 0.0.0.0 --port 8080 --workers 4\n' +
        "  $ curl -s 'http://127.0.0.1:8000/nearest/audio?k=5' --data-binary @clip.mp3\n" +
        '  $ boiler serve --labels labels.csv --feedback votes.jsonl --cors https://app.example.com\n' +
        '  then open http://127.0.0.1:8000/ in a browser\n',
    )
    .action(
      action<ServeCommandOptions>(program, async (_args, options, context) => {
        const modelDir = resolveModelDir(options.modelDir);
        // Checked first, so that a wrong --feedback is the one line a user sees.
        const feedbackFile = feedbackFileFor(modelDir, options.feedback);
        if (cluster.isPrimary && options.workers > 1) return superviseWorkers(modelDir, options, context);
        if (!cluster.isWorker) return serveOne(modelDir, feedbackFile, options, context);
        try {
          return await serveOne(modelDir, feedbackFile, options, context);
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          await reportStartError(error.message);
          return ExitCode.userError;
        } finally {
          // The channel to the primary would keep a worker alive, after an error too.
          cluster.worker?.disconnect();
        }
      }),
    );
}
