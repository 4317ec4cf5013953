import { Command, InvalidArgumentError, Option } from 'commander';
import { MEL } from '../audio/mel.js';
import { action, activateBackend, backendOption, integerIn, nonNegativeNumber, positiveInteger, positiveNumber } from '../cli/context.js';
import { INTERRUPTED, watchInterrupts } from '../cli/interrupt.js';
import { describedProgress } from '../cli/progress.js';
import { ExitCode } from '../errors.js';
import { PRESETS } from '../model/vqvae2.js';
import { DEFAULT_KEEP } from '../train/checkpoint.js';
import { CODEBOOK_MODES, type CodebookMode } from '../train/codebook-health.js';
import { SCHEDULE_NAMES, type ScheduleName } from '../train/settings.js';
import { train, type StepMetrics, type TrainResult } from '../train/trainer.js';

interface TrainFlags {
  wavDir: string;
  savePath: string;
  loadPath?: string;
  epochs: number;
  batchSize?: number;
  lr?: number;
  schedule?: ScheduleName;
  codebook: CodebookMode;
  nMelChannels: number;
  latentLossWeight: number;
  preset: 'paper' | 'tiny' | 'auto';
  backend?: string;
  maxSteps?: number;
  maxMinutes?: number;
  seed: number;
  imageEvery: number;
  json?: boolean;
  keep: number;
  keepEpoch: number[];
}

function melChannels(value: string): number {
  // The mel frontend and the reference model are built for 80 bins; the flag stays for the original's command lines.
  if (Number(value) !== MEL.nMels) throw new InvalidArgumentError(`only ${MEL.nMels} mel channels are supported (the original model's).`);
  return MEL.nMels;
}

/** `--keep-epoch 10,50` (repeatable): the epochs named so far and these. */
function epochList(value: string, previous: number[]): number[] {
  const epochs = value.split(',').map((item) => item.trim());
  if (!epochs.every((item) => /^\d+$/.test(item) && Number(item) >= 1)) {
    throw new InvalidArgumentError('expected epoch numbers ≥ 1, separated by commas (e.g. 10,50).');
  }
  return [...previous, ...epochs.map(Number)];
}

/** Where an interrupted run stopped and how to go on, in one line. */
function stoppedLine(result: TrainResult): string {
  const at = `interrupted at step ${result.steps}`;
  if (!result.lastCheckpoint) return `${at}: nothing to save yet; run the same command again to start`;
  return `${at}: saved in ${result.lastCheckpoint}; run the same command again to resume from there`;
}

/** The wavs left out, one a line under a count, as the summary's end. */
function rejectedLines(result: TrainResult): string {
  return [`left out ${result.rejected.length} wav(s) that training cannot read:`, ...result.rejected.map(({ file, reason }) => `  ${file}: ${reason}`)].join('\n');
}

/** Where a run that spent its --max-minutes stopped, in one line. */
function budgetLine(result: TrainResult, minutes: number): string {
  const at = `time budget of ${minutes} minutes reached at step ${result.steps}`;
  if (!result.lastCheckpoint) return `${at}: nothing to save yet; run the same command again to start`;
  return `${at}: saved in ${result.lastCheckpoint}; run the same command again to continue`;
}

/** Codebook sizes, the same in every preset. */
const CODES = PRESETS.paper;

function describe(m: StepMetrics): string {
  return (
    `recon ${m.recon.toFixed(4)} latent ${m.latent.toFixed(4)} codes ${m.codesTop}/${CODES.nEmbedTop} · ${m.codesBottom}/${CODES.nEmbedBottom} ` +
    `lr ${m.lr.toExponential(2)} ${m.clipsPerSecond.toFixed(1)} clips/s`
  );
}

/** `boiler train`: the VQ-VAE2 over log-mels of a wav directory, with a checkpoint per epoch. */
export function trainCommand(program: Command): Command {
  return new Command('train')
    .description('train the VQ-VAE2 on a directory of 16 kHz mono wavs; a checkpoint after every epoch')
    .requiredOption('--wav-dir <dir>', 'wav files written by boiler convert')
    .requiredOption('--save-path <dir>', 'where checkpoints, TensorBoard events and metrics.jsonl go')
    .option('--load-path <file>', 'start from this checkpoint (default: resume from the newest in --save-path)')
    .option('--epochs <n>', 'epochs to train in all', positiveInteger, 300)
    .option('--batch-size <n>', 'clips per optimiser step (default: 128 paper, 16 tiny)', positiveInteger)
    .option('--lr <rate>', 'learning rate, the peak of OneCycle (default: 1e-4 paper, 1e-3 tiny)', positiveNumber)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule (default: onecycle paper, constant tiny)').choices(SCHEDULE_NAMES))
    .addOption(
      new Option('--codebook <mode>', 'healthy: codes set from the data, unused ones restarted; original: as the original (top codebook collapses)')
        .choices(CODEBOOK_MODES)
        .default('healthy'),
    )
    .option('--n-mel-channels <n>', 'mel bins (80, as the original)', melChannels, 80)
    .option('--latent-loss-weight <w>', 'weight of the latent loss', nonNegativeNumber, 0.5)
    .addOption(
      new Option('--preset <name>', 'model size: auto is paper on a GPU backend, tiny on CPU backends, and a resumed checkpoint’s own')
        .choices(['auto', 'paper', 'tiny'])
        .default('auto'),
    )
    .addOption(backendOption())
    .option('--max-steps <n>', 'stop after this many steps in all (smoke runs)', positiveInteger)
    .option('--max-minutes <m>', 'stop at the first step after m minutes, with a checkpoint to continue from', positiveNumber)
    .option('--seed <n>', 'seed for initialisation and shuffling', integerIn(0, 2 ** 31 - 1), 0)
    .option('--image-every <n>', 'log input and reconstructed mels to TensorBoard every n steps', positiveInteger, 100)
    .option('--keep <n>', 'checkpoints of the newest n epochs to keep; older ones are deleted', positiveInteger, DEFAULT_KEEP)
    .option('--keep-epoch <list>', 'epochs to keep besides, e.g. 10,50 (repeatable)', epochList, [])
    .option('--json', 'print the final summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler train --wav-dir data/wav --save-path exp/run1\n' +
        '  $ boiler train --wav-dir data/wav --save-path exp/run1 --load-path exp/run0/vqvae_084.safetensors\n' +
        '  $ boiler train --wav-dir fixtures-wav --save-path /tmp/smoke --preset tiny --batch-size 4 --epochs 2\n' +
        '  $ boiler train --wav-dir data/wav --save-path exp/cpu --max-minutes 8\n' +
        '\nResuming: run the same command again; it continues after the newest good checkpoint in --save-path.\n' +
        'Ctrl-C stops after the current step and saves a checkpoint to resume from.\n' +
        'Watch it: tensorboard --logdir <save-path>\n',
    )
    .action(
      action<TrainFlags>(program, async (_args, flags, context) => {
        const backend = await activateBackend(flags.backend, context);
        const interrupt = watchInterrupts({ notice: 'stopping after the current step', info: context.info });
        // The budget starts now, each run afresh: a resumed run gets the whole of it again.
        const budget = flags.maxMinutes === undefined ? undefined : AbortSignal.timeout(flags.maxMinutes * 60_000);
        const result = await train(
          {
            wavDir: flags.wavDir,
            saveDir: flags.savePath,
            loadPath: flags.loadPath,
            epochs: flags.epochs,
            batchSize: flags.batchSize,
            lr: flags.lr,
            schedule: flags.schedule,
            codebook: flags.codebook,
            latentLossWeight: flags.latentLossWeight,
            preset: flags.preset,
            backend,
            seed: flags.seed,
            maxSteps: flags.maxSteps,
            imageEvery: flags.imageEvery,
            keep: flags.keep,
            keepEpochs: flags.keepEpoch,
            stop: budget ? AbortSignal.any([interrupt.signal, budget]) : interrupt.signal,
          },
          {
            info: context.info,
            progress: describedProgress(describe),
            epochSaved: (epoch, checkpoint) => context.info(`epoch ${epoch} saved to ${checkpoint}`),
          },
        ).finally(() => interrupt.dispose());
        if (result.interrupted && !interrupt.signal.aborted) {
          context.info(budgetLine(result, flags.maxMinutes!));
          return ExitCode.ok;
        }
        if (result.interrupted) {
          context.info(stoppedLine(result));
          return INTERRUPTED;
        }
        const { epochs, steps, rejected } = result;
        const summary = { epochs, steps, checkpoint: result.lastCheckpoint ?? null, last: result.last ?? null, rejected };
        if (flags.json) context.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else context.info(result.last ? `done: ${result.steps} steps, ${describe(result.last)}` : 'nothing to do: every epoch is already trained');
        if (rejected.length === 0) return ExitCode.ok;
        context.info(rejectedLines(result));
        return ExitCode.partial;
      }),
    );
}

