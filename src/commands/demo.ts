import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { action, activateBackend, backendOption } from '../cli/context.js';
import { describedProgress } from '../cli/progress.js';
import { DEMO_SETTINGS, runDemo } from '../demo/demo.js';
import { prepareOutputDirectory } from '../util/make-dir.js';

interface DemoFlags {
  workDir?: string;
  backend?: string;
  ffmpeg?: string;
  json?: boolean;
}

/** `boiler demo`: convert → train → index → query on the bundled fixtures, with no network. */
export function demoCommand(program: Command): Command {
  return new Command('demo')
    .description('run the whole pipeline on the bundled fixtures: convert, train a tiny model, index, query')
    .option('--work-dir <dir>', 'where the wavs, checkpoints and model directory go (default: a new temporary directory)')
    .addOption(backendOption())
    .option('--ffmpeg <path>', 'ffmpeg binary (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .option('--json', 'print the neighbours as JSON')
    .addHelpText('after', '\nExamples:\n  $ boiler demo\n  $ boiler demo --work-dir /tmp/boiler-demo --json\n')
    .action(
      action<DemoFlags>(program, async (_args, flags, context) => {
        await activateBackend(flags.backend, context);
        const workDir = flags.workDir ?? mkdtempSync(join(tmpdir(), 'boiler-demo-'));
        prepareOutputDirectory(workDir, '--work-dir');
        const result = await runDemo(
          workDir,
          {
            stage: (message) => context.info(`demo ${message}`),
            train: {
              info: context.info,
              progress: describedProgress((m) => `recon ${m.recon.toFixed(3)} latent ${m.latent.toFixed(3)}`),
            },
          },
          flags.ffmpeg,
        );
        if (flags.json) {
          context.stdout.write(JSON.stringify(result, null, 2) + '\n');
          return;
        }
        const lines = [
          `nearest coubs to ${result.query} (${DEMO_SETTINGS.encoder}, ${result.seconds.toFixed(0)} s in all):`,
          ...result.neighbours.map((m) => `${String(m.rank).padStart(4)}  ${m.distance.toFixed(4)}  ${m.coubId}`),
          `model directory: export BOILER_MODEL_DIR=${result.modelDir}`,
        ];
        context.stdout.write(lines.join('\n') + '\n');
      }),
    );
}
