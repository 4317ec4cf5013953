import { Option, type Command } from 'commander';
import { BACKENDS, chooseBackend, requestedBackend, type BackendName } from '../model/backend.js';
import { ExitCode } from '../errors.js';

/** What every subcommand's action gets besides its own options. */
export interface CommandContext {
  verbose: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** A line for the user on stderr (diagnostics, summaries); stdout stays for results. */
  info(message: string): void;
}

export function makeContext(program: Command): CommandContext {
  const verbose = Boolean(program.opts().verbose);
  return {
    verbose,
    stdout: process.stdout,
    stderr: process.stderr,
    info: (message) => process.stderr.write(`${message}\n`),
  };
}

/**
 * Wraps a subcommand's action: gives it the context and turns its returned exit code into the
 * process's. Errors propagate to main(), which prints them as one line.
 */
export function action<O>(
  program: Command,
  run: (args: string[], options: O, context: CommandContext) => Promise<number | void>,
): (...raw: unknown[]) => Promise<void> {
  return async (...raw) => {
    const command = raw[raw.length - 1] as Command;
    const args = command.args;
    const code = await run(args, command.opts() as O, makeContext(program));
    process.exitCode = code ?? ExitCode.ok;
  };
}

/** The --backend option, shared by every command that runs TensorFlow.js. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'TensorFlow.js backend (default: auto, or BOILER_BACKEND)').choices([
    'auto',
    ...BACKENDS,
  ]);
}

/** Chooses the backend once per run and says which one it is. */
export async function activateBackend(flag: string | undefined, context: CommandContext): Promise<BackendName> {
  const chosen = await chooseBackend(requestedBackend(flag));
  context.info(`backend: ${chosen.name}`);
  if (context.verbose) for (const s of chosen.skipped) context.info(`  skipped ${s.name}: ${s.reason}`);
  return chosen.name;
}

/** Parsers for numeric flags; commander reports their errors as "option '--x <n>' argument 'y' is invalid. …". */
export { corsOrigins, integerIn, nonNegativeNumber, positiveInteger, positiveNumber } from './parse.js';
