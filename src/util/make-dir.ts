import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';

/**
 * `mkdir -p` one level at a time. Node's own `mkdirSync(path, { recursive: true })` never returns
 * for a path under /proc (measured on Node 20: it spins at 100% CPU), so each missing directory is
 * made in turn and any failure is an ordinary errno error: ENOENT, ENOTDIR, EEXIST (a file is in
 * the way), EACCES.
 */
export function makeDirectory(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
  // Already there: mkdir reports EEXIST when it is not a directory.
  if (missing.length === 0 && !statSync(path).isDirectory()) mkdirSync(path);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Made meanwhile by another process: fine, if it is a directory.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error;
    }
  }
}

/** Makes the directory a flag names, ready for writing, or says in one line why it cannot be. */
export function prepareOutputDirectory(path: string, flag: string): void {
  try {
    makeDirectory(path);
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new UserError(`cannot write to output directory ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): choose a writable ${flag}`);
  }
}
