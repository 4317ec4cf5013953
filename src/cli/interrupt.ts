/**
 * Ctrl-C for long-running commands. A command creates one interrupt around its work and passes
 * `interrupt.signal` to the library, which checks it at its safe points (between training steps,
 * between files) and stops there, leaving what it wrote resumable. The first SIGINT or SIGTERM
 * aborts the signal (with the signal's name as its reason); a second exits the process at once
 * with 130. The command then prints where it stopped and returns INTERRUPTED.
 *
 *   const interrupt = watchInterrupts({ notice: 'stopping after the current step', info: context.info });
 *   try {
 *     const result = await work({ stop: interrupt.signal });
 *     if (interrupt.signal.aborted) { context.info('…: run the same command again to resume'); return INTERRUPTED; }
 *   } finally {
 *     interrupt.dispose();
 *   }
 */

/** The exit code of a command stopped by Ctrl-C or SIGTERM (128 + SIGINT's number, as shells report it). */
export const INTERRUPTED = 130;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface Interrupt {
  /** Aborted on the first SIGINT or SIGTERM; `signal.reason` is the signal's name. */
  readonly signal: AbortSignal;
  /** Restores the default handling (call it when the work ends, in `finally`). */
  dispose(): void;
}

export interface InterruptOptions {
  /** Said (through `info`) on the first signal, so that the user knows the stop is under way. */
  notice: string;
  info(message: string): void;
}

export function watchInterrupts(options: InterruptOptions): Interrupt {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      options.info('stopped at once, without saving');
      process.exit(INTERRUPTED);
    }
    options.info(`${options.notice} (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop at once)`);
    controller.abort(signal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
