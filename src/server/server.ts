import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { describeError, UserError } from '../errors.js';
import { repairAdvice } from '../search/manifest.js';
import type { MediaEmbedder } from '../search/media-embedder.js';
import type { ModelIndex } from '../search/model-index.js';
import { readBody } from './body.js';
import { HttpError } from './http-error.js';
import { docsPage, openApiSpec, type ApiFacts } from './openapi.js';
import { DEFAULT_K, MAX_K, matchesJson, nearestToEmbedding, nearestToMedia, parseK } from './routes.js';

export interface ServerOptions {
  index: ModelIndex;
  /** Encodes uploads; without it (no encoder.onnx) POST /nearest/audio answers 503. */
  embedder?: MediaEmbedder;
  host: string;
  port: number;
  maxUploadBytes: number;
  /** Where unexpected errors are reported (they answer 500 and the server goes on). */
  log: (line: string) => void;
}

export interface RunningServer {
  url: string;
  /** Stops accepting connections, lets requests in flight finish (at most `graceMs`), then resolves. */
  close(graceMs?: number): Promise<void>;
}

/** POST /nearest/audio's answer says in this header how many seconds of the upload's audio were embedded. */
export const AUDIO_SECONDS_HEADER = 'X-Boiler-Audio-Seconds';

/** An embedding is a few KiB of JSON even at 1,472 dimensions; this bounds what a client can make us buffer. */
const MAX_JSON_BYTES = 1 << 20;

/**
 * The HTTP API over one model directory, loaded once: POST /nearest (the original's call),
 * POST /nearest/audio, GET /health, GET /docs and /openapi.json. Any bad request answers 400
 * with `{"detail": …}`; an unexpected error answers 500 and is logged; the server never stops on one.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { index, embedder } = options;
  const facts: ApiFacts = {
    encoder: index.manifest.encoder,
    dimension: index.manifest.dimension,
    clips: index.manifest.count,
    exampleEmbedding: index.clips.length ? Array.from(index.vectors.vectorOf(0)) : new Array(index.manifest.dimension).fill(0),
    defaultK: DEFAULT_K,
    maxK: MAX_K,
    maxUploadBytes: options.maxUploadBytes,
    wholeClips: index.manifest.window === 'whole',
  };
  const health = JSON.stringify({ status: 'ok', encoder: facts.encoder, dimension: facts.dimension, clips: facts.clips, audio: Boolean(embedder) });
  const spec = JSON.stringify(openApiSpec(facts), null, 2);
  // ffmpeg and the encoder use a core each; more uploads at once would only queue inside them.
  const mediaJobs = pLimit(availableParallelism());
  let docs = '';
  let draining = false;

  const send = (response: ServerResponse, status: number, body: string, type = 'application/json', extra: Record<string, string> = {}) => {
    const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra };
    if (draining) headers.Connection = 'close';
    response.writeHead(status, headers);
    response.end(body);
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const [path, search = ''] = (request.url ?? '/').split('?', 2);
    const method = request.method ?? 'GET';
    const allow = (methods: string) => {
      if (!methods.split(', ').includes(method)) {
        response.setHeader('Allow', methods);
        throw new HttpError(405, `${method} ${path} is not supported: use ${methods} (see /docs)`);
      }
    };
    switch (path) {
      case '/nearest': {
        allow('POST');
        const k = parseK(new URLSearchParams(search));
        const body = await readBody(request, MAX_JSON_BYTES, 'JSON body');
        return send(response, 200, matchesJson(nearestToEmbedding(index, body, k)));
      }
      case '/nearest/audio': {
        allow('POST');
        const k = parseK(new URLSearchParams(search));
        if (!embedder) throw new HttpError(503, `${index.dir} has no encoder.onnx, so this server cannot embed audio: ${repairAdvice(index.manifest)}`);
        const body = await readBody(request, options.maxUploadBytes, 'upload');
        const { matches, seconds } = await mediaJobs(() => nearestToMedia(index, embedder, body, request.headers['content-type'], k));
        return send(response, 200, matchesJson(matches), 'application/json', { [AUDIO_SECONDS_HEADER]: seconds.toFixed(3) });
      }
      case '/health':
        allow('GET, HEAD');
        return send(response, 200, health);
      case '/openapi.json':
        allow('GET, HEAD');
        return send(response, 200, spec);
      case '/docs':
        allow('GET, HEAD');
        return send(response, 200, docs, 'text/html; charset=utf-8');
      case '/':
        response.setHeader('Location', '/docs');
        return send(response, 302, '{"detail": "see /docs"}');
      default:
        throw new HttpError(404, `no such path ${path}: the API is POST /nearest, POST /nearest/audio and GET /health (see /docs)`);
    }
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const known = error instanceof HttpError;
      if (!known) options.log(`${request.method} ${request.url}: unexpected error: ${describeError(error)}`);
      if (response.headersSent) return void response.destroy();
      send(response, known ? error.status : 500, JSON.stringify({ detail: known ? error.message : 'internal error (logged by the server)' }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, options.host, options.port)));
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  docs = docsPage(facts, url);

  return {
    url,
    close(graceMs = 10_000) {
      draining = true;
      return new Promise((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

/** Why the server cannot listen, said as what to change; other errors stay as they are. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new UserError(`${host}:${port} is in use by another program: choose another --port (0 picks a free one)`);
    case 'EACCES':
      return new UserError(`not allowed to listen on ${host}:${port} (ports below 1024 need privileges): choose another --port`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new UserError(`${host} is not an address of this machine: choose another --host (127.0.0.1, or 0.0.0.0 for every interface)`);
    default:
      return error;
  }
}
