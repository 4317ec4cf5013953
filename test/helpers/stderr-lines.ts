import type { ChildProcess } from 'node:child_process';

/** A child's stderr as it arrives, with a way to wait for a line: the event a test acts on, instead of a sleep. */
export interface StderrWatch {
  /** Everything the child wrote to stderr so far. */
  text(): string;
  /**
   * Resolves with the first line (already written or to come) for which `wanted` holds; rejects if the
   * child exits first, or after `timeoutMs`, with what it wrote.
   */
  line(wanted: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
}

/** Watches the stderr of a child spawned with stderr piped. */
export function watchStderr(child: ChildProcess): StderrWatch {
  let text = '';
  const waiters = new Set<() => void>();
  let exit: number | string | null | undefined;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    for (const check of waiters) check();
  });
  child.once('close', (code, signal) => {
    exit = code ?? signal;
    for (const check of waiters) check();
  });
  return {
    text: () => text,
    line(wanted, timeoutMs = 120_000) {
      const matches = typeof wanted === 'function' ? wanted : (line: string) => wanted.test(line);
      return new Promise((resolve, reject) => {
        const finish = (settle: () => void) => {
          waiters.delete(check);
          clearTimeout(timer);
          settle();
        };
        const check = () => {
          // Only whole lines: a line still being written is looked at once its newline arrives.
          const found = text.split('\n').slice(0, -1).find(matches);
          if (found !== undefined) finish(() => resolve(found));
          else if (exit !== undefined) finish(() => reject(new Error(`the process exited (${exit}) before writing the line awaited: ${text}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no line awaited on stderr within ${timeoutMs} ms: ${text}`))), timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
