import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { chooseBackend, installCommand, requestedBackend } from '../model/backend.js';
import { findGpuLibraries, nvidiaGpus, type LibraryFinding } from '../model/gpu-libraries.js';
import { action, backendOption } from '../cli/context.js';
import { describeError } from '../errors.js';

interface DoctorOptions {
  backend?: string;
  ffmpeg?: string;
  gpuSmoke?: boolean;
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

/** One training step of the paper preset (batch 4) on the active backend, after a first step that compiles its kernels. */
async function gpuSmoke(backend: string): Promise<{ preset: string; batchSize: number; firstStepSeconds: number; stepSeconds: number }> {
  // Imported here: the trainer and its workers are not needed for the plain report.
  const [{ writeSyntheticWavs }, { measureTraining }] = await Promise.all([import('../bench/clips.js'), import('../bench/train-bench.js')]);
  const scratch = mkdtempSync(join(tmpdir(), 'boiler-doctor-'));
  try {
    const plan = { preset: 'paper' as const, batchSize: 4, steps: 2 };
    const measured = await measureTraining(plan, writeSyntheticWavs(join(scratch, 'wav'), plan.batchSize * plan.steps), scratch, backend);
    return { preset: plan.preset, batchSize: plan.batchSize, firstStepSeconds: measured.firstStepSeconds, stepSeconds: measured.stepSeconds };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function libraryLine(library: LibraryFinding): string {
  const status = library.path ? `found    ${library.soname.padEnd(18)} ${library.path}` : `missing  ${library.soname.padEnd(18)} ${library.what}`;
  return `  ${status}${library.elsewhere.length ? ` (there is ${library.elsewhere.join(', ')})` : ''}`;
}

/** What the GPU backend would lack here, as one line. */
function gpuVerdict(libraries: LibraryFinding[]): string {
  const missing = libraries.filter((library) => !library.path);
  if (!missing.length) return 'every library tfjs-node-gpu 4.22 loads is on the loader path';
  return (
    `missing ${missing.map((library) => library.what).join(', ')}: tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1 ` +
    '(other major versions do not load); install them and add their lib64 folders to LD_LIBRARY_PATH'
  );
}

/** `boiler doctor`: which ffmpeg, TensorFlow.js backend and GPU libraries this machine gives boiler, and why. */
export function doctorCommand(program: Command): Command {
  return new Command('doctor')
    .description('show the ffmpeg, TensorFlow.js backend and GPU libraries that boiler will use here')
    .addOption(backendOption())
    .option('--ffmpeg <path>', 'ffmpeg binary (default: BOILER_FFMPEG, PATH, then the bundled one)')
    .option('--gpu-smoke', 'time one training step of the paper preset on the backend boiler would use')
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ boiler doctor\n  $ boiler doctor --gpu-smoke\n  $ boiler doctor --backend cpu --json\n',
    )
    .action(
      action<DoctorOptions>(program, async (_args, options, context) => {
        const ffmpeg = locateFfmpeg(options.ffmpeg);
        const backend = await chooseBackend(requestedBackend(options.backend));
        const libraries = findGpuLibraries();
        const nvidia = nvidiaGpus();
        const report = {
          node: process.version,
          ffmpeg: { ...ffmpeg, version: await ffmpegVersion(ffmpeg.path) },
          backend: backend.name,
          skipped: backend.skipped.map((s) => ({ ...s, install: installCommand(s.name) })),
          gpu: { ...nvidia, libraries, verdict: gpuVerdict(libraries) },
          ...(options.gpuSmoke ? { smoke: { backend: backend.name, ...(await gpuSmoke(backend.name)) } } : {}),
        };
        if (options.json) {
          context.stdout.write(JSON.stringify(report, null, 2) + '\n');
          return;
        }
        const lines = [
          `node     ${report.node}`,
          `ffmpeg   ${ffmpeg.path} (${ffmpeg.source}) ${report.ffmpeg.version}`,
          `backend  ${backend.name}`,
          ...report.skipped.map((s) => `  not ${s.name}: ${s.reason}\n    install: ${s.install}`),
          `gpu      ${'gpus' in nvidia ? nvidia.gpus.join('; ') || 'nvidia-smi lists no GPU' : nvidia.error}`,
          ...libraries.map(libraryLine),
          `  ${report.gpu.verdict}`,
        ];
        if (report.smoke) {
          const { smoke } = report;
          lines.push(
            `smoke    --preset ${smoke.preset} batch ${smoke.batchSize} on ${smoke.backend}: one step ${smoke.stepSeconds.toFixed(2)} s ` +
              `(first step, compiling kernels: ${smoke.firstStepSeconds.toFixed(1)} s)`,
          );
        }
        context.stdout.write(lines.join('\n') + '\n');
      }),
    );
}
