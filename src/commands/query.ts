import { Command } from 'commander';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { action, integerIn } from '../cli/context.js';
import { ExitCode, UserError } from '../errors.js';
import { resolveModelDir } from '../search/model-dir.js';
import { ModelIndex } from '../search/model-index.js';
import { runQueries, type QueryAnswer, type QuerySource } from '../search/query.js';

interface QueryCommandOptions {
  modelDir?: string;
  id?: string;
  embedding?: string;
  k: number;
  ef?: number;
  ffmpeg?: string;
  json?: boolean;
}

/** Exactly one of FILE..., --id and --embedding says what to search by. */
function querySource(files: string[], options: QueryCommandOptions): QuerySource {
  const given = [files.length > 0 && 'FILE', options.id !== undefined && '--id', options.embedding !== undefined && '--embedding'].filter(Boolean);
  if (given.length !== 1) {
    const why = given.length ? `got ${given.join(' and ')}` : 'got none';
    throw new UserError(`query takes exactly one of FILE..., --id PERMALINK or --embedding JSON (${why})`, { exitCode: ExitCode.usage });
  }
  if (options.id !== undefined) return { id: options.id };
  if (options.embedding !== undefined) return { embedding: options.embedding };
  return { files };
}

/** `clip.mp4 (24.3 s in 3 windows):` for a media file, `1dnm2b:` for an indexed clip or an embedding. */
function answerTitle({ query, audio }: QueryAnswer): string {
  if (!audio) return `${query}:`;
  return `${query} (${audio.seconds.toFixed(1)} s in ${audio.windows} window${audio.windows === 1 ? '' : 's'}):`;
}

function answerLines(answer: QueryAnswer): string[] {
  return [answerTitle(answer), ...answer.matches!.map((m) => `${String(m.rank).padStart(4)}  ${m.distance.toFixed(4)}  ${m.url}`)];
}

/** The JSON form: the API's field names, so scripts read `boiler query --json` and POST /nearest alike. */
function answerJson(answer: QueryAnswer): object {
  if (answer.error) return { query: answer.query, error: answer.error };
  const audio = answer.audio ? { audio_seconds: answer.audio.seconds, windows: answer.audio.windows } : {};
  return { query: answer.query, ...audio, neighbours: answer.matches!.map((m) => ({ rank: m.rank, distance: m.distance, coub_id: m.coubId, url: m.url })) };
}

/** `boiler query`: the coubs nearest to media files, an indexed clip or an embedding. */
export function queryCommand(program: Command): Command {
  return new Command('query')
    .description('print the coubs nearest to audio files, an indexed coub (--id) or an embedding (--embedding)')
    .argument('[file...]', 'audio or video files, any format ffmpeg decodes')
    .option('--model-dir <dir>', 'model directory (default: BOILER_MODEL_DIR), as boiler index prints it')
    .option('--id <permalink>', 'search by an indexed coub (permalink, coub URL or wav file name), leaving it out of the answer')
    .option('--embedding <json>', 'search by an embedding: a JSON array of numbers')
    .option('-k, --k <n>', 'neighbours to print', integerIn(1, 1000), 10)
    .option('--ef <n>', 'search the HNSW graph with this breadth (default: the plan boiler index calibrated); larger is slower and more exact', integerIn(1, 100000))
    .option('--ffmpeg <path>', 'ffmpeg binary (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .option('--json', 'print the answers as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler query song.mp3 clip.mp4\n' +
        '  $ boiler query --model-dir save/vqvae_010/BagTopVQVAE --id 1dnm2b -k 5\n' +
        '  $ boiler query --embedding "[0, 0.26, 0, 0.35, ...]" --json\n',
    )
    .action(
      action<QueryCommandOptions>(program, async (files, options, context) => {
        const source = querySource(files, options);
        const index = ModelIndex.open(resolveModelDir(options.modelDir));
        const ffmpegPath = 'files' in source ? locateFfmpeg(options.ffmpeg).path : undefined;
        const answers = await runQueries(index, source, { k: options.k, ef: options.ef, ffmpegPath });
        const failed = answers.filter((a) => a.error);
        const found = answers.filter((a) => !a.error);
        // Results on stdout (with --json, the failures too, as entries); why a query failed on stderr.
        if (options.json) context.stdout.write(JSON.stringify(answers.map(answerJson), null, 2) + '\n');
        else if (found.length > 0) context.stdout.write(found.flatMap(answerLines).join('\n') + '\n');
        for (const answer of failed) context.info(`${answer.query}: ${answer.error}`);
        if (failed.length === 0) return ExitCode.ok;
        return failed.length === answers.length ? ExitCode.userError : ExitCode.partial;
      }),
    );
}
