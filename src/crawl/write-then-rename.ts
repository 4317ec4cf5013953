import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { temporaryName } from '../atomic-file.js';

/**
 * Creates `path` by letting `fill` write a temporary file beside it (same directory, so the rename
 * is atomic) and renaming it into place once `fill` returns; when `fill` throws, the temporary file
 * is removed. A process killed half-way leaves at most a temporary file, never a half file under
 * `path`. No fsync: this guards against a killed process, not a lost machine, and a sync per
 * file would cost more than the download itself on a busy disk.
 */
export async function writeThenRename<T>(path: string, fill: (handle: FileHandle) => Promise<T>): Promise<T> {
  const temporary = temporaryName(path);
  const handle = await open(temporary, 'w');
  let renamed = false;
  try {
    const result = await fill(handle);
    await handle.close();
    await rename(temporary, path);
    renamed = true;
    return result;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await rm(temporary, { force: true });
    }
  }
}
