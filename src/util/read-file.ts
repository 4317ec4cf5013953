import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

/** Reads a file the user pointed at; a missing or unreadable one is a UserError naming it and the reason (ENOENT, EACCES, …). */
export function readUserFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
