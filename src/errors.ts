/**
 * An error the user can fix: a missing directory, a bad value, an unreadable file.
 * The CLI prints its message as one line (no stack unless --verbose) and exits with `exitCode`.
 * Library code throws it wherever the cause lies in the caller's input rather than in boiler.
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Exit codes that scripts can rely on, shared by every subcommand. */
export const ExitCode = {
  ok: 0,
  /** The input or environment is wrong: bad flag value, missing file, missing dependency. */
  userError: 1,
  /** The command line itself is malformed: unknown flag, missing argument. */
  usage: 2,
  /** The command ran to the end but some items failed (listed in its summary). */
  partial: 3,
} as const;

/** A one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] || error.name;
  return String(error);
}
