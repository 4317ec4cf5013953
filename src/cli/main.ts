import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { benchCommand } from '../commands/bench.js';
import { convertCommand } from '../commands/convert.js';
import { crawlCommand } from '../commands/crawl.js';
import { demoCommand } from '../commands/demo.js';
import { doctorCommand } from '../commands/doctor.js';
import { evalCommand } from '../commands/eval.js';
import { trainCommand } from '../commands/train.js';
import { indexCommand } from '../commands/index-command.js';
import { queryCommand } from '../commands/query.js';
import { serveCommand } from '../commands/serve.js';
import { statsCommand } from '../commands/stats.js';
import { ExitCode, UserError, describeError } from '../errors.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Each subcommand is a small module that parses its options and calls the library. */
const SUBCOMMANDS: ((program: Command) => Command)[] = [demoCommand, doctorCommand, crawlCommand, convertCommand, statsCommand, trainCommand, indexCommand, queryCommand, serveCommand, evalCommand, benchCommand];

export function buildProgram(): Command {
  const program = new Command('boiler')
    .description('Recommend coubs by how they sound: crawl → convert → train → index → query')
    .version(version)
    .option('--verbose', 'print stack traces and extra diagnostics')
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`boiler: ${message.replace(/^error: /, '')}`) })
    .addHelpText('after', '\nExamples:\n  $ boiler doctor\n  $ boiler <command> --help\n');
  for (const make of SUBCOMMANDS) {
    // Settings are per command: subcommands take the program's exitOverride and error format,
    // so that main() owns every exit code.
    program.addCommand(rejectUnknownOptionsFirst(make(program).copyInheritedSettings(program)));
  }
  return program;
}

const HELP_FLAGS = new Set(['--help', '-h']);

/**
 * Commander checks a command's option values as it parses them and its required options before
 * its unknown ones, so that `train --epochs x --no-such-flag` would only hear about --epochs and
 * `train --no-such-flag` that --wav-dir is missing. The command therefore looks for an unknown
 * long option before parsing anything, unless help was asked for (help wins).
 */
function rejectUnknownOptionsFirst(command: Command): Command {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (argv) => {
    const refuse = (flag: string) =>
      command.error(`error: unknown option '${flag}' (see 'boiler ${command.name()} --help')`, { code: 'commander.unknownOption', exitCode: ExitCode.usage });
    const helpAsked = argv.some((arg) => HELP_FLAGS.has(arg));
    const known = new Set([command, command.parent].flatMap((owner) => owner?.options.map((option) => option.long) ?? []));
    const end = argv.indexOf('--');
    const long = (end < 0 ? argv : argv.slice(0, end)).filter((arg) => arg.startsWith('--')).map((arg) => arg.split('=')[0]);
    const unknownLong = long.find((flag) => !known.has(flag) && !HELP_FLAGS.has(flag));
    if (unknownLong !== undefined && !helpAsked) refuse(unknownLong);
    const parsed = parseOptions(argv);
    // A short flag commander does not know: it and everything after it are `unknown`, the first is the flag.
    const [flag] = parsed.unknown;
    if (flag !== undefined && !helpAsked) refuse(flag);
    return parsed;
  };
  return command;
}

/** Commander's codes for a bad value (a user error, exit 1) as opposed to a malformed command line (exit 2). */
const BAD_VALUE_CODES = new Set(['commander.invalidArgument']);
const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/**
 * A reader that goes away (`boiler train … 2>&1 | head -2`) ends the run as SIGTERM does: train
 * and convert stop at their next safe point and save, serve drains, the others end. Node ignores
 * SIGPIPE, so without this the failed write would crash the process mid-step.
 */
function stopWhenOutputCloses(): void {
  let closed = false;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (closed) return;
    closed = true;
    process.kill(process.pid, 'SIGTERM');
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  stopWhenOutputCloses();
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (HELP_CODES.has(error.code)) return ExitCode.ok;
      return BAD_VALUE_CODES.has(error.code) ? ExitCode.userError : ExitCode.usage;
    }
    const verbose = argv.includes('--verbose');
    if (error instanceof UserError) {
      process.stderr.write(`boiler: ${error.message}\n`);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`boiler: unexpected error: ${describeError(error)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return ExitCode.userError;
  }
}
