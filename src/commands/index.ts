import { Argument, Command } from 'commander';
import { action, integerIn } from '../cli/context.js';
import { createProgress } from '../cli/progress.js';
import { ExitCode } from '../errors.js';
import { ENCODERS, type EncoderName } from '../model/onnx/graph.js';
import { buildModelDir, type BuiltModelDir } from '../search/build-model-dir.js';
import { DEFAULT_GRAPH_PARAMETERS } from '../search/manifest.js';
import { shellWord } from '../search/shell-word.js';

interface IndexCommandOptions {
  wavDir: string;
  checkpoint: string;
  batchSize: number;
  m: number;
  efConstruction: number;
  json?: boolean;
}

/**
 * Seconds between commits of the model directory (BOILER_COMMIT_INTERVAL, default 30): what a
 * killed run can lose, against the cost of rewriting the directory's files.
 */
function commitInterval(): number {
  const fromEnv = Number(process.env.BOILER_COMMIT_INTERVAL);
  return process.env.BOILER_COMMIT_INTERVAL && Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : 30;
}

function summaryLine(built: BuiltModelDir): string {
  return (
    `${built.added} clips added, ${built.already} already indexed, ${built.failed.length} failed; ` +
    `${built.manifest.count} clips (${built.manifest.distinct} distinct ${built.manifest.dimension}-d embeddings) in ${built.modelDir}`
  );
}

/** `boiler index`: the model directory of a checkpoint's encoder over a directory of wavs. */
export function indexCommand(program: Command): Command {
  return new Command('index')
    .description('embed a directory of wavs with a checkpoint\'s encoder into a model directory: encoder.onnx, projector files, HNSW index')
    .addArgument(new Argument('[encoder]', 'embedding to index').choices(ENCODERS).default('BagTopVQVAE'))
    .requiredOption('--wav-dir <dir>', 'directory of 16 kHz mono wavs (boiler convert makes one)')
    .requiredOption('--checkpoint <file>', 'trained weights, SAVE/vqvae_NNN.safetensors; the model directory is SAVE/vqvae_NNN/ENCODER')
    .option('--batch-size <n>', 'clips per encoder run', integerIn(1, 1024), 32)
    .option('--m <n>', 'HNSW links per node', integerIn(2, 128), DEFAULT_GRAPH_PARAMETERS.m)
    .option('--ef-construction <n>', 'HNSW breadth while building', integerIn(1, 4096), DEFAULT_GRAPH_PARAMETERS.efConstruction)
    .option('--json', 'print the summary as JSON on stdout instead of the export line')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler index --wav-dir wav --checkpoint save/vqvae_010.safetensors\n' +
        '  $ boiler index --wav-dir wav --checkpoint save/vqvae_010.safetensors MeanFreqTopVQVAE --m 32\n' +
        '  $ eval "$(boiler index --wav-dir wav --checkpoint save/vqvae_010.safetensors)" && boiler query --id 1dnm2b\n',
    )
    .action(
      action<IndexCommandOptions>(program, async ([encoder = 'BagTopVQVAE'], options, context) => {
        const built = await buildModelDir({
          wavDir: options.wavDir,
          checkpoint: options.checkpoint,
          encoder: encoder as EncoderName,
          parameters: { m: options.m, efConstruction: options.efConstruction, batchSize: options.batchSize },
          commitSeconds: commitInterval(),
          progress: (total) => createProgress({ label: 'index', total, unit: 'clips' }),
          onFailure: ({ file, reason }) => context.info(`skipped ${file}: ${reason}`),
          onRepair: (line) => context.info(`repairing: ${line}`),
        });
        context.info(summaryLine(built));
        if (options.json) {
          const { modelDir, found, already, added, failed, manifest } = built;
          context.stdout.write(JSON.stringify({ modelDir, found, already, added, failed, count: manifest.count, distinct: manifest.distinct }, null, 2) + '\n');
        } else {
          context.stdout.write(`export BOILER_MODEL_DIR=${shellWord(built.modelDir)}\n`);
        }
        return built.failed.length > 0 ? ExitCode.partial : ExitCode.ok;
      }),
    );
}
