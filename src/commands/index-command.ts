import { Argument, Command } from 'commander';
import { action, integerIn } from '../cli/context.js';
import { createProgress } from '../cli/progress.js';
import { commitIntervalSeconds } from '../env.js';
import { ExitCode, UserError } from '../errors.js';
import { ENCODER_NAMES, type EncoderName } from '../model/encoders.js';
import { DEFAULT_ENCODER, MFCC_ENCODER } from '../model/encoders.js';
import { buildModelDir, type BuiltModelDir } from '../search/build-model-dir.js';
import { DEFAULT_GRAPH_PARAMETERS } from '../search/model-manifest.js';
import { shellWord } from '../search/shell-word.js';

interface IndexCommandOptions {
  wavDir: string;
  checkpoint?: string;
  standardise?: boolean;
  firstWindow?: boolean;
  batchSize: number;
  m: number;
  efConstruction: number;
  json?: boolean;
}

function summaryLine(built: BuiltModelDir): string {
  return (
    `${built.added} clips added, ${built.already} already indexed, ${built.failed.length} failed; ` +
    `${built.manifest.count} clips (${built.manifest.distinct} distinct ${built.manifest.dimension}-d embeddings) in ${built.modelDir}`
  );
}

/**
 * A warning when most clips share their embedding with another clip: fewer distinct embeddings
 * than half the clips. Identical audio legitimately gives identical embeddings (a crawl's reposts),
 * but when most clips collide the encoder is not telling them apart, and every search returns
 * arbitrary ties.
 */
export function degeneracyWarning({ count, distinct }: { count: number; distinct: number }): string | undefined {
  if (distinct * 2 >= count) return undefined;
  return (
    `warning: only ${distinct} distinct embedding${distinct === 1 ? '' : 's'} for ${count} clips: this encoder does not tell these clips apart ` +
    '(unless they are copies of the same audio); index them with another encoder (mfcc needs no training, or MeanFreqTopVQVAE) or a better-trained checkpoint'
  );
}

/** Exactly one of a checkpoint and the mfcc encoder, which needs none. */
function checkCheckpoint(encoder: string, checkpoint: string | undefined): void {
  if (encoder === MFCC_ENCODER && checkpoint !== undefined) {
    throw new UserError('the mfcc encoder is computed, not trained: leave out --checkpoint', { exitCode: ExitCode.usage });
  }
  if (encoder !== MFCC_ENCODER && checkpoint === undefined) {
    throw new UserError(`${encoder} needs trained weights: pass --checkpoint SAVE/vqvae_NNN.safetensors (or index with mfcc, which needs none)`, {
      exitCode: ExitCode.usage,
    });
  }
}

/** `boiler index`: the model directory of a checkpoint's encoder over a directory of wavs. */
export function indexCommand(program: Command): Command {
  return new Command('index')
    .description('embed a directory of wavs with a checkpoint\'s encoder (or mfcc) into a model directory: encoder.onnx, projector files, HNSW index')
    .addArgument(new Argument('[encoder]', 'embedding to index (mfcc: computed, needs no --checkpoint)').choices([...ENCODER_NAMES, MFCC_ENCODER]).default(DEFAULT_ENCODER))
    .requiredOption('--wav-dir <dir>', 'directory of 16 kHz mono wavs (boiler convert makes one)')
    .option('--checkpoint <file>', 'trained weights, SAVE/vqvae_NNN.safetensors; the model directory is SAVE/vqvae_NNN/ENCODER (mfcc: WAV_DIR-mfcc beside the wavs)')
    .option('--standardise', 'standardise each embedding dimension over the clips (default for mfcc; a new directory only)')
    .option('--no-standardise', 'keep the raw embeddings (default for the learned encoders)')
    .option('--first-window', 'embed only the first 8.2 s of each clip, as the original did (default: all of it, window by window; a new directory only)')
    .option('--batch-size <n>', 'clips per encoder run', integerIn(1, 1024), 32)
    .option('--m <n>', 'HNSW links per node', integerIn(2, 128), DEFAULT_GRAPH_PARAMETERS.m)
    .option('--ef-construction <n>', 'HNSW breadth while building', integerIn(1, 4096), DEFAULT_GRAPH_PARAMETERS.efConstruction)
    .option('--json', 'print the summary as JSON on stdout instead of the export line')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler index --wav-dir wav --checkpoint save/vqvae_010.safetensors\n' +
        '  $ boiler index --wav-dir wav --checkpoint save/vqvae_010.safetensors MeanFreqTopVQVAE --m 32\n' +
        '  $ boiler index --wav-dir wav mfcc\n' +
        '  $ eval "$(boiler index --wav-dir wav --checkpoint save/vqvae_010.safetensors)" && boiler query --id 1dnm2b\n',
    )
    .action(
      action<IndexCommandOptions>(program, async ([encoder = DEFAULT_ENCODER], options, context) => {
        checkCheckpoint(encoder, options.checkpoint);
        const built = await buildModelDir({
          wavDir: options.wavDir,
          checkpoint: options.checkpoint,
          encoder: encoder as EncoderName | typeof MFCC_ENCODER,
          standardise: options.standardise,
          window: options.firstWindow ? 'first' : undefined,
          parameters: { m: options.m, efConstruction: options.efConstruction, batchSize: options.batchSize },
          commitSeconds: commitIntervalSeconds(),
          progress: createProgress,
          onFailure: ({ file, reason }) => context.info(`skipped ${file}: ${reason}`),
          onRepair: (line) => context.info(`repairing: ${line}`),
          onStatistics: ({ clips }) => context.info(`standardising with the mean and spread of each dimension over ${clips} clips`),
        });
        context.info(summaryLine(built));
        const warning = degeneracyWarning(built.manifest);
        if (warning) context.info(warning);
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
