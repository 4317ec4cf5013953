import { HttpError } from './http-error.js';

/** The boundary of a `multipart/form-data` Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!match) throw new HttpError(400, 'the multipart/form-data Content-Type has no boundary');
  return match[1] ?? match[2];
}

/**
 * The uploaded file in a multipart/form-data body (RFC 7578): the first part that carries a
 * filename, else the part named `file`. Whole-body parsing is enough: the body is size-limited.
 */
export function multipartFile(body: Buffer, boundary: string): Buffer {
  const delimiter = Buffer.from(`--${boundary}`);
  let fallback: Buffer | undefined;
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // after the delimiter's CRLF, before the next one's
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const headers = part.subarray(0, split).toString('latin1');
      const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
      const content = part.subarray(split + 4);
      if (/\bfilename\*?=/i.test(disposition)) return content;
      if (/\bname="?file"?(;|\s|$)/i.test(disposition)) fallback ??= content;
    }
    at = next;
  }
  if (fallback) return fallback;
  throw new HttpError(400, 'the multipart body has no file: send the media as a form field named file (curl -F file=@clip.mp3)');
}
