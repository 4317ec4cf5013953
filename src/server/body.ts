import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * The request body, at most `limit` bytes. A larger one (by its Content-Length, or as it streams
 * in) is refused with 400 at once, and the rest of it is read and dropped so that the client,
 * still sending, gets the answer rather than a reset connection; one that goes on for more than
 * four times the limit is cut off.
 */
export function readBody(request: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = () => reject(new HttpError(400, `the ${what} is larger than the ${formatBytes(limit)} this server accepts`));
    let refused = Number(request.headers['content-length']) > limit;
    if (refused) refuse();
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > 4 * limit) request.destroy();
      } else if (size > limit) {
        refused = true;
        chunks.length = 0;
        refuse();
      } else {
        chunks.push(chunk);
      }
    });
    request.once('end', () => {
      if (!refused) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    request.once('error', reject);
  });
}

export function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${+(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${+(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;
}
