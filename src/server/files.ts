import { createReadStream, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from './http-error.js';
import { parseRange } from './range.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.webm': 'audio/webm',
  '.mp4': 'video/mp4',
};

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Sends a file, or the one byte range its Range header asks for (206; 416 past the end), so that
 * audio players can seek. HEAD gets the headers alone.
 */
export async function sendFile(request: IncomingMessage, response: ServerResponse, path: string, headers: Record<string, string> = {}): Promise<void> {
  const { size } = await stat(path);
  const range = parseRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    response.setHeader('Content-Range', `bytes */${size}`);
    throw new HttpError(416, `the range ${request.headers.range} is past the end of the ${size} bytes`);
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  response.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Type': contentTypeOf(path),
    'Content-Length': Math.max(0, end - start + 1),
    'Accept-Ranges': 'bytes',
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (request.method === 'HEAD' || size === 0) return void response.end();
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, { start, end })
      .once('error', reject)
      .pipe(response)
      .once('finish', resolve)
      .once('close', resolve);
  });
}

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

/**
 * Every file the page and the API docs are made of, by the URL path that serves it: the page's
 * own files (src/server/web), Swagger UI and uPlot from their packages. A request is answered only
 * from this list, made once at start, so that no part of a URL becomes part of a path.
 */
export function pageFiles(): Map<string, string> {
  const web = join(here, 'web');
  const files = new Map<string, string>([
    ['/', join(web, 'index.html')],
    ['/training', join(web, 'training.html')],
    ['/docs', join(here, 'docs', 'index.html')],
    ['/docs/init.js', join(here, 'docs', 'init.js')],
  ]);
  for (const name of readdirSync(web)) files.set(`/assets/${name}`, join(web, name));
  const swagger = packageDir('swagger-ui-dist');
  for (const name of ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']) files.set(`/docs/${name}`, join(swagger, name));
  const uplot = join(packageDir('uplot'), 'dist');
  files.set('/assets/vendor/uplot.iife.min.js', join(uplot, 'uPlot.iife.min.js'));
  files.set('/assets/vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'));
  return files;
}
