import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** The temporary name a file is written under before it is renamed into place (same directory, so rename is atomic). */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/**
 * Writes a file atomically: to a temporary name beside it, fsynced, then renamed over the final
 * name, so that a reader (or a rerun after a crash) never sees a half-written file.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temporary = temporaryName(path);
  const fd = openSync(temporary, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
}
