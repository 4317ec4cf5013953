import { spawn, type ChildProcess } from 'node:child_process';
import { BOILER, ROOT } from './cli.js';
import { watchStderr, type StderrWatch } from './stderr-lines.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the server's first stderr line that matches (see StderrWatch.line). */
  stderrLine: StderrWatch['line'];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Starts the real `boiler serve` on a free port and waits until it says where it listens. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BOILER, 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const watch = watchStderr(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = / at (http:\/\/\S+) \(docs/;
  return watch.line(listening).then((line) => ({
    child,
    url: listening.exec(line)![1],
    stderr: watch.text,
    stderrLine: watch.line,
    exited,
  }));
}
