import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { action, integerIn, positiveNumber } from '../cli/context.js';
import { MediaEmbedder } from '../search/media-embedder.js';
import { modelFile, resolveModelDir } from '../search/model-dir.js';
import { ModelIndex } from '../search/model-index.js';
import { startServer } from '../server/server.js';

interface ServeCommandOptions {
  modelDir?: string;
  host: string;
  port: number;
  maxUploadMb: number;
  ffmpeg?: string;
}

/** Resolves on the first SIGTERM or SIGINT, with its name. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** `boiler serve`: the HTTP API over a model directory until SIGTERM, which drains requests in flight. */
export function serveCommand(program: Command): Command {
  return new Command('serve')
    .description('serve nearest-coub queries over HTTP: POST /nearest, POST /nearest/audio, GET /health, docs at /docs')
    .option('--model-dir <dir>', 'model directory (default: BOILER_MODEL_DIR), as boiler index prints it')
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', integerIn(0, 65535), 8000)
    .option('--max-upload-mb <n>', 'largest media upload POST /nearest/audio accepts, in MiB', positiveNumber, 20)
    .option('--ffmpeg <path>', 'ffmpeg binary for uploads (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler serve --model-dir save/vqvae_010/BagTopVQVAE\n' +
        '  $ BOILER_MODEL_DIR=save/vqvae_010/BagTopVQVAE boiler serve --host 0.0.0.0 --port 8080\n' +
        "  $ curl -s 'http://127.0.0.1:8000/nearest/audio?k=5' --data-binary @clip.mp3\n",
    )
    .action(
      action<ServeCommandOptions>(program, async (_args, options, context) => {
        const modelDir = resolveModelDir(options.modelDir);
        const stopped = stopSignal();
        const index = ModelIndex.open(modelDir);
        const embedder = existsSync(modelFile(modelDir, 'encoder')) ? await MediaEmbedder.open(modelDir, locateFfmpeg(options.ffmpeg).path) : undefined;
        if (!embedder) context.info(`${modelDir} has no encoder.onnx: POST /nearest/audio will answer 503 (run boiler index to write it)`);
        const server = await startServer({
          index,
          embedder,
          host: options.host,
          port: options.port,
          maxUploadBytes: Math.round(options.maxUploadMb * (1 << 20)),
          log: context.info,
        });
        const { count, distinct, encoder, dimension } = index.manifest;
        context.info(`serving ${count} clips (${distinct} distinct ${dimension}-d ${encoder} embeddings) at ${server.url} (docs: ${server.url}/docs)`);
        const signal = await stopped;
        context.info(`${signal}: finishing requests in flight`);
        await server.close();
        await embedder?.close();
        context.info('stopped');
      }),
    );
}
