import { Command } from 'commander';
import { action, corsOrigins, integerIn, positiveNumber } from '../cli/context.js';
import { resolveModelDir } from '../search/model-dir.js';
import { runServer, type ServeOptions } from '../server/run-server.js';

interface ServeCommandOptions extends ServeOptions {
  modelDir?: string;
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
        const { modelDir: flag, ...serveOptions } = options;
        return runServer(resolveModelDir(flag), serveOptions, context.info);
      }),
    );
}
