import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The longest file name, in bytes, that Linux file systems (ext4, xfs, btrfs, tmpfs) allow. */
export const MAX_NAME_BYTES = 255;

/**
 * The temporary name a file is written under before it is renamed into place (same directory, so
 * rename is atomic): `NAME.tmp-PID`. When that would be longer than a file name may be, although
 * NAME itself fits, NAME is cut and a hash of it keeps temporaries of different files apart.
 */
export function temporaryName(path: string): string {
  const suffix = `.tmp-${process.pid}`;
  const name = basename(path);
  if (Buffer.byteLength(name + suffix) <= MAX_NAME_BYTES) return path + suffix;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  const room = MAX_NAME_BYTES - Buffer.byteLength(`~${hash}${suffix}`);
  return join(dirname(path), `${cutToBytes(name, room)}~${hash}${suffix}`);
}

/** The longest start of `text` that takes at most `bytes` bytes in UTF-8, never splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  let cut = '';
  for (const char of text) {
    if (Buffer.byteLength(cut + char) > bytes) break;
    cut += char;
  }
  return cut;
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
