import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './http-error.js';

export function isMultipart(contentType: string | undefined): boolean {
  return contentType !== undefined && /^multipart\/form-data\b/i.test(contentType);
}

/**
 * The uploaded file of a multipart/form-data body (RFC 7578), parsed by busboy: the first part
 * that carries a filename (what `curl -F file=@clip.mp3` and a browser's FormData send). The body
 * has been read whole already: its size is limited before parsing.
 */
export function multipartFile(body: Buffer, headers: IncomingHttpHeaders): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers });
    } catch (error) {
      return reject(new HttpError(400, `the multipart/form-data body cannot be read: ${(error as Error).message}`));
    }
    let file: Buffer | undefined;
    parser.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => file === undefined && chunks.push(chunk));
      stream.on('end', () => (file ??= Buffer.concat(chunks)));
    });
    parser.on('error', (error: Error) => reject(new HttpError(400, `the multipart/form-data body cannot be read: ${error.message}`)));
    parser.on('close', () => {
      if (file) resolve(file);
      else reject(new HttpError(400, 'the multipart body has no file: send the media as a form field named file (curl -F file=@clip.mp3)'));
    });
    parser.end(body);
  });
}
