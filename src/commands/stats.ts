import { Command } from 'commander';
import { SAMPLE_RATE } from '../audio/clip.js';
import { clipStats, type ClipStats } from '../audio/stats.js';
import { action, integerIn } from '../cli/context.js';
import { renderBox, renderHistogram } from '../cli/histogram.js';

interface StatsOptions {
  bins: number;
  json?: boolean;
}

/** The report as the terminal shows it: histogram, summary box, then what training will do with the clips. */
export function statsLines(stats: ClipStats): string[] {
  const seconds = (s: number) => `${s.toFixed(2)} s`;
  const chart = renderHistogram(
    stats.histogram.map((b) => b.count),
    { axis: [seconds(stats.min), seconds(stats.max)] },
  );
  const summary = renderBox('Summary', [
    `observations: ${stats.observations}`,
    `min value: ${stats.min.toFixed(6)}`,
    `mean : ${stats.mean.toFixed(6)}`,
    `max value: ${stats.max.toFixed(6)}`,
  ]);
  const clip = `2**${Math.log2(stats.clipSamples)} = ${stats.clipSamples} samples (${(stats.clipSamples / SAMPLE_RATE).toFixed(3)} s)`;
  return [
    ...(chart.length ? ['', ...chart, ''] : []),
    ...summary,
    `against the training length of ${clip}: ${stats.shorter} shorter (repeated), ${stats.exact} exact, ${stats.longer} longer (truncated)`,
    ...(stats.rejected.length
      ? [`${stats.rejected.length} file(s) that training would reject:`, ...stats.rejected.map((r) => `  ${r.file}: ${r.reason}`)]
      : []),
  ];
}

/** `boiler stats`: the distribution of clip lengths in a wav directory, from the headers alone. */
export function statsCommand(program: Command): Command {
  return new Command('stats')
    .description('show the distribution of clip lengths in a wav directory and the files that training would reject')
    .argument('<wav-dir>', 'directory of .wav files, as boiler convert writes them')
    .option('--bins <n>', 'bars in the histogram', integerIn(1, 200), 20)
    .option('--json', 'print the figures as JSON')
    .addHelpText('after', '\nExamples:\n  $ boiler stats wav\n  $ boiler stats wav --bins 40 --json\n')
    .action(
      action<StatsOptions>(program, async ([directory], options, context) => {
        const stats = clipStats(directory, { bins: options.bins });
        const text = options.json ? JSON.stringify(stats, null, 2) : statsLines(stats).join('\n');
        context.stdout.write(text + '\n');
      }),
    );
}
