import { Command } from 'commander';
import { planConversion, runConversion, type ConvertSummary } from '../audio/convert-directory.js';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { action, integerIn } from '../cli/context.js';
import { INTERRUPTED, watchInterrupts } from '../cli/interrupt.js';
import { createProgress } from '../cli/progress.js';
import { ExitCode } from '../errors.js';
import { SAMPLE_RATE } from '../model/vqvae2.js';

interface ConvertCommandOptions {
  in: string;
  out: string;
  jobs?: number;
  rate: number;
  ffmpeg?: string;
  force?: boolean;
  json?: boolean;
}

/** The report's lines: each failure and name clash, then the counts, or where an interrupted run stopped. */
export function summaryLines(summary: ConvertSummary, outputDir: string): string[] {
  const failures = summary.failed.map((f) => `failed: ${f.source}: ${f.reason}`);
  if (summary.remaining.length > 0) {
    const done = summary.converted.length + summary.upToDate.length;
    const total = done + summary.failed.length + summary.remaining.length;
    return [...failures, `interrupted: ${done} of ${total} converted, run the same command again to finish`];
  }
  const rate = summary.converted.length / Math.max(summary.seconds, 1e-3);
  return [
    ...failures,
    ...summary.clashes.map((c) => `name clash: ${c.source} not converted, ${c.output} comes from ${c.keptSource}`),
    `${summary.converted.length} converted, ${summary.upToDate.length} up to date, ${summary.failed.length} failed, ` +
      `${summary.clashes.length} name clashes in ${summary.seconds.toFixed(1)} s (${rate.toFixed(1)} files/s) → ${outputDir}`,
  ];
}

/** `boiler convert`: every audio and video file under --in to a 16 kHz mono 16-bit wav in --out. */
export function convertCommand(program: Command): Command {
  return new Command('convert')
    .description('convert every audio and video file under --in to a mono 16-bit wav in --out (ffmpeg, in parallel)')
    .requiredOption('--in <dir>', 'directory searched recursively for audio and video files')
    .requiredOption('--out <dir>', 'directory for the wav files, one <name>.wav per input (created if missing)')
    .option('--jobs <n>', 'ffmpeg processes at a time (default: the number of cores)', integerIn(1, 256))
    .option('--rate <hz>', `output sample rate; boiler's later stages read ${SAMPLE_RATE} Hz only, so set it only for wavs meant for other tools`, integerIn(1000, 384000), SAMPLE_RATE)
    .option('--ffmpeg <path>', 'ffmpeg binary (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .option('--force', 'convert again even where the wav is newer than its input')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ boiler convert --in crawl/audio --out wav\n  $ boiler convert --in video --out wav --jobs 6 --force --json\n',
    )
    .action(
      action<ConvertCommandOptions>(program, async (_args, options, context) => {
        const ffmpegPath = locateFfmpeg(options.ffmpeg).path;
        const plan = planConversion({ input: options.in, output: options.out, rate: options.rate, force: options.force });
        const interrupt = watchInterrupts({ notice: 'stopping: no new files, the running ffmpegs are stopped', info: context.info });
        const summary = await runConversion(plan, {
          jobs: options.jobs,
          ffmpegPath,
          progress: createProgress,
          stop: interrupt.signal,
        }).finally(() => interrupt.dispose());
        for (const line of summaryLines(summary, plan.outputDir)) context.info(line);
        if (options.json) context.stdout.write(JSON.stringify({ output: plan.outputDir, ...summary }, null, 2) + '\n');
        if (interrupt.signal.aborted) return INTERRUPTED;
        return summary.failed.length > 0 ? ExitCode.partial : ExitCode.ok;
      }),
    );
}
