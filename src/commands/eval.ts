import { Command, InvalidArgumentError } from 'commander';
import { action, integerIn } from '../cli/context.js';
import { createProgress } from '../cli/progress.js';
import { BASELINES, type BaselineName } from '../eval/baselines.js';
import { evaluate } from '../eval/evaluate.js';
import { formatReport } from '../eval/report.js';
import { resolveModelDir } from '../search/model-dir.js';

interface EvalCommandOptions {
  modelDir?: string;
  labels: string;
  k: number;
  ef?: number;
  baseline?: BaselineName[];
  wavDir?: string;
  seed: number;
  json?: boolean;
}

/** `--baseline random,mfcc` (or `none`). */
function baselineList(value: string): BaselineName[] {
  if (value.trim() === 'none') return [];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !(BASELINES as readonly string[]).includes(name));
  if (unknown !== undefined) throw new InvalidArgumentError(`expected a comma-separated list of ${BASELINES.join(', ')} (or none); got ${unknown || 'an empty name'}.`);
  return [...new Set(names as BaselineName[])];
}

/** `boiler eval`: precision@k and mAP of the model's neighbours on labelled clips, beside baselines. */
export function evalCommand(program: Command): Command {
  return new Command('eval')
    .description('score a model directory\'s neighbours on labelled clips (precision@k, mAP, per label) beside random and MFCC baselines')
    .option('--model-dir <dir>', 'model directory (default: BOILER_MODEL_DIR), as boiler index prints it')
    .requiredOption('--labels <file>', 'CSV or TSV: a clip (wav file name or coub permalink), then its labels')
    .option('-k, --k <n>', 'neighbours per query', integerIn(1, 1000), 10)
    .option('--ef <n>', 'HNSW search breadth (default: the model directory\'s)', integerIn(1, 100000))
    .option('--baseline <list>', 'baselines to score beside the model: random, mfcc or none (default: random, and mfcc where the wavs are known)', baselineList)
    .option('--wav-dir <dir>', 'the wavs that boiler index embedded, for the mfcc baseline (default: the directory the manifest records)')
    .option('--seed <n>', 'seed of the random baseline', integerIn(0, 2 ** 32 - 1), 0)
    .option('--json', 'print the scores as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler eval --model-dir save/vqvae_010/BagTopVQVAE --labels genres.csv\n' +
        '  $ boiler eval --labels tags.tsv -k 5 --baseline random --json\n',
    )
    .action(
      action<EvalCommandOptions>(program, async (_args, options, context) => {
        const report = await evaluate({
          modelDir: resolveModelDir(options.modelDir),
          labelsFile: options.labels,
          k: options.k,
          ef: options.ef,
          baselines: options.baseline,
          wavDir: options.wavDir,
          seed: options.seed,
          progress: createProgress,
        });
        if (report.unmatched.length) {
          context.info(`${report.unmatched.length} clips of ${options.labels} are not in the index and are left out: ${report.unmatched.slice(0, 3).join(', ')}${report.unmatched.length > 3 ? ', …' : ''}`);
        }
        context.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      }),
    );
}
