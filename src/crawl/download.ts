import { stat, type FileHandle } from 'node:fs/promises';
import { networkReason, type Http } from './http.js';
import { TransientError } from './retry.js';
import { writeThenRename } from './write-then-rename.js';

/** A file under its final name is complete: only a finished, size-checked download is ever renamed there. */
async function isComplete(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Downloads `url` to `path` unless it is already there; returns the bytes fetched (0 when it was
 * there). The body streams to a temporary name in the same directory, a few chunks at a time (never
 * whole in memory), is checked against Content-Length, and only then renamed into place; a failed
 * attempt removes its temporary file and is retried by `http`.
 */
export async function downloadFile(http: Http, url: string, path: string, onBytes?: (bytes: number) => void): Promise<number> {
  if (await isComplete(path)) return 0;
  return http.get(url, (response) => saveBody(response, path, onBytes));
}

/** Content-Length when it counts the bytes we will read: absent for chunked answers and meaningless for encoded ones. */
function expectedLength(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  if (header === null || response.headers.has('content-encoding')) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function saveBody(response: Response, path: string, onBytes?: (bytes: number) => void): Promise<number> {
  const expected = expectedLength(response);
  return writeThenRename(path, async (handle) => {
    const received = await copyBody(response, handle, onBytes);
    if (expected !== undefined && received !== expected) {
      throw new TransientError(`short body: ${received} of ${expected} bytes`);
    }
    return received;
  });
}

/** Bytes gathered before a write: a few of fetch's 64 KiB chunks per system call, still little memory per download. */
const WRITE_BATCH = 256 * 1024;

/**
 * Writes the body as it arrives, a batch of chunks at a time, awaiting each write (back-pressure:
 * memory holds at most one batch per download). A break in the connection is a TransientError; a
 * failing write (disk full) is not the network's fault, so it propagates as it is and is not retried.
 */
async function copyBody(response: Response, handle: FileHandle, onBytes?: (bytes: number) => void): Promise<number> {
  if (response.body === null) return 0;
  const reader = response.body.getReader();
  let received = 0;
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = async () => {
    await handle.writev(batch);
    batch = [];
    batched = 0;
  };
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new TransientError(`connection broke after ${received} bytes: ${networkReason(error)}`);
      }
      if (chunk.done) break;
      batch.push(chunk.value);
      batched += chunk.value.byteLength;
      received += chunk.value.byteLength;
      onBytes?.(chunk.value.byteLength);
      if (batched >= WRITE_BATCH) await flush();
    }
    if (batched > 0) await flush();
    return received;
  } finally {
    // Unlocked, the body can be cancelled by Http.get when a write failed half-way.
    reader.releaseLock();
  }
}
