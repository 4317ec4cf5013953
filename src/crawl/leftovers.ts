import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** src/atomic-file.ts's temporary names end in `.tmp-<pid>`. */
const TEMPORARY = /\.tmp-(\d+)$/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the half-written temporary files that a killed run left in `dir`, sparing those of a
 * process still running (another crawl into the same directory). Returns how many it removed.
 */
export async function removeLeftovers(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir)) {
    const match = TEMPORARY.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && isRunning(pid)) continue;
    await rm(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
