import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { chooseBackend, requestedBackend } from '../model/backend.js';
import { action, backendOption } from '../cli/context.js';
import { describeError } from '../errors.js';

interface DoctorOptions {
  backend?: string;
  ffmpeg?: string;
  json?: boolean;
}

/** The first line ffmpeg prints of its version, or why it could not run. */
async function ffmpegVersion(path: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(path, ['-hide_banner', '-version']);
    return stdout.split('\n')[0];
  } catch (error) {
    return `does not run: ${describeError(error)}`;
  }
}

/** `boiler doctor`: which ffmpeg and TensorFlow.js backend this machine gives boiler, and why. */
export function doctorCommand(program: Command): Command {
  return new Command('doctor')
    .description('show the ffmpeg and TensorFlow.js backend that boiler will use here')
    .addOption(backendOption())
    .option('--ffmpeg <path>', 'ffmpeg binary (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', '\nExamples:\n  $ boiler doctor\n  $ boiler doctor --backend cpu --json\n')
    .action(
      action<DoctorOptions>(program, async (_args, options, context) => {
        const ffmpeg = locateFfmpeg(options.ffmpeg);
        const backend = await chooseBackend(requestedBackend(options.backend));
        const report = {
          node: process.version,
          ffmpeg: { ...ffmpeg, version: await ffmpegVersion(ffmpeg.path) },
          backend: backend.name,
          skipped: backend.skipped,
        };
        if (options.json) {
          context.stdout.write(JSON.stringify(report, null, 2) + '\n');
          return;
        }
        const lines = [
          `node     ${report.node}`,
          `ffmpeg   ${ffmpeg.path} (${ffmpeg.source}) ${report.ffmpeg.version}`,
          `backend  ${backend.name}`,
          ...backend.skipped.map((s) => `  not ${s.name}: ${s.reason}`),
        ];
        context.stdout.write(lines.join('\n') + '\n');
      }),
    );
}
