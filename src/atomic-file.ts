import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Whether a process of this id is alive (EPERM: alive, but someone else's). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files (`*.tmp-PID`, see temporaryName) that killed runs left in `dir`,
 * sparing those of a process still running (another run into the same directory). Call it when a
 * run starts: a file under this process's own id is then a dead run's whose id was reused.
 * Returns the names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const stale = readdirSync(dir).filter((name) => {
    const pid = /\.tmp-(\d+)$/.exec(name)?.[1];
    return pid !== undefined && (Number(pid) === process.pid || !isRunning(Number(pid)));
  });
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale;
}
