import { Argument, Command } from 'commander';
import { action } from '../cli/context.js';
import { machineNote } from '../bench/measure.js';
import { BENCHMARK_NAMES, runBenchmark } from '../bench/suite.js';
import { resolveModelDir } from '../search/model-dir.js';

interface BenchCommandOptions {
  out: string;
  modelDir?: string;
  json?: boolean;
}

/** `boiler bench`: the benchmark suite, each benchmark writing a CSV and a PNG chart. */
export function benchCommand(program: Command): Command {
  return new Command('bench')
    .description('measure this machine: encoder ms/clip, index recall and latency, serve req/s, convert and train throughput (CSV + PNG each)')
    .addArgument(new Argument('<benchmark...>', 'benchmarks to run').choices([...BENCHMARK_NAMES, 'all']))
    .option('--out <dir>', 'directory for <benchmark>.csv and <benchmark>.png', 'bench-results')
    .option('--model-dir <dir>', 'a model directory: index also measures its embeddings, serve serves it instead of random vectors')
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler bench all --out bench-results\n' +
        '  $ boiler bench index serve --model-dir save/vqvae_010/BagTopVQVAE\n' +
        '  $ boiler bench encoder --json\n',
    )
    .action(
      action<BenchCommandOptions>(program, async (names, options, context) => {
        const chosen = names.includes('all') ? BENCHMARK_NAMES : [...new Set(names)];
        const modelDir = options.modelDir === undefined ? undefined : resolveModelDir(options.modelDir);
        context.info(`bench: ${chosen.join(', ')} on ${machineNote()}`);
        const report = [];
        for (const name of chosen) {
          const written = await runBenchmark(name, options.out, { modelDir, log: context.info });
          report.push({ name, csv: written.csv, png: written.png, seconds: written.seconds, columns: written.result.columns, rows: written.result.rows });
          if (!options.json) {
            context.stdout.write(`${name} (${written.seconds.toFixed(0)} s) → ${written.csv}, ${written.png}\n${written.result.summary.map((line) => `  ${line}`).join('\n')}\n`);
          }
        }
        if (options.json) context.stdout.write(JSON.stringify({ machine: machineNote(), benchmarks: report }, null, 2) + '\n');
      }),
    );
}
