import { spawn, type ChildProcess } from 'node:child_process';
import { BOILER, ROOT } from './cli.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Starts the real `boiler serve` on a free port and waits until it says where it listens. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BOILER, 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = / at (http:\/\/\S+) \(docs/.exec(stderr)?.[1];
      if (url) resolve({ child, url, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`boiler serve exited (${code}) before listening: ${stderr}`)));
  });
}
