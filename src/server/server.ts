import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { describeError, UserError } from '../errors.js';
import { ClipCatalog } from '../search/clip-catalog.js';
import { repairAdvice } from '../search/model-manifest.js';
import type { MediaEmbedder } from '../search/media-embedder.js';
import type { ModelIndex } from '../search/model-index.js';
import { readBody } from './body.js';
import { HttpError } from './http-error.js';
import { FeedbackLog, parseVote } from './feedback.js';
import { pageFiles, sendFile } from './files.js';
import { MapState } from './map-state.js';
import { openApiSpec, type ApiFacts } from './openapi.js';
import { clipJson, DEFAULT_K, MAX_K, matchesJson, nearestToEmbedding, nearestToMedia, parseK, parseLimit } from './routes.js';
import { metricsFileOf, readTrainingMetrics } from './training.js';

export interface ServerOptions {
  index: ModelIndex;
  /** Encodes uploads; without it (no encoder.onnx) POST /nearest/audio answers 503. */
  embedder?: MediaEmbedder;
  host: string;
  port: number;
  maxUploadBytes: number;
  /** The JSON-lines file votes are appended to. */
  feedbackFile: string;
  /** Origins whose pages may call the API (`--cors`): `*`, or exact origins; none: same origin only. */
  corsOrigins?: string[];
  /** An eval labels file that colours the map (default: the crawl's categories). */
  labelsFile?: string;
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
/** … and in this one the upload's sha256, which a vote on its results names it by. */
export const UPLOAD_SHA256_HEADER = 'X-Boiler-Upload-Sha256';

/** An embedding is a few KiB of JSON even at 1,472 dimensions; this bounds what a client can make us buffer. */
const MAX_JSON_BYTES = 1 << 20;
/** A vote is a few hundred bytes. */
const MAX_VOTE_BYTES = 16 << 10;
const CLIP_LIST = { fallback: 20, max: 200 };

const CLIP_AUDIO = /^\/clips\/([^/]+)\/audio$/;
const NEAREST_CLIP = /^\/nearest\/clip\/([^/]+)$/;

/**
 * The HTTP API over one model directory, loaded once, and the page made for it: POST /nearest (the
 * original's call), POST /nearest/audio, GET /nearest/clip/{id}, GET /clips, GET /clips/{id}/audio,
 * POST and GET /feedback, GET /map, GET /training/metrics, GET /health, the page at /, Swagger UI
 * at /docs over /openapi.json. Any bad request answers 4xx with `{"detail": …}`; an unexpected error
 * answers 500 and is logged; the server never stops on one.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { index, embedder } = options;
  const catalog = new ClipCatalog(index);
  const map = new MapState(index, catalog, catalog.labels(options.labelsFile), options.log);
  const feedback = new FeedbackLog(options.feedbackFile);
  const files = pageFiles();
  const metricsFile = index.manifest.checkpoint && metricsFileOf(index.manifest.checkpoint.path);
  const training = metricsFile !== null && existsSync(metricsFile);
  const facts: ApiFacts = {
    encoder: index.manifest.encoder,
    dimension: index.manifest.dimension,
    clips: index.manifest.count,
    exampleEmbedding: index.clips.length ? Array.from(index.vectors.vectorOf(0)) : new Array(index.manifest.dimension).fill(0),
    exampleClip: catalog.clips[0]?.id ?? '',
    defaultK: DEFAULT_K,
    maxK: MAX_K,
    maxUploadBytes: options.maxUploadBytes,
    wholeClips: index.manifest.window === 'whole',
  };
  const health = JSON.stringify({ status: 'ok', encoder: facts.encoder, dimension: facts.dimension, clips: facts.clips, audio: Boolean(embedder), training });
  const spec = JSON.stringify(openApiSpec(facts), null, 2);
  // ffmpeg and the encoder use a core each; more uploads at once would only queue inside them.
  const mediaJobs = pLimit(availableParallelism());
  const cors = options.corsOrigins ?? [];
  let draining = false;

  const send = (response: ServerResponse, status: number, body: string, type = 'application/json', extra: Record<string, string> = {}) => {
    const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra };
    if (draining) headers.Connection = 'close';
    response.writeHead(status, headers);
    response.end(body);
  };

  /** The indexed clip an id in a path names (percent-decoded, looked up, never used as a path). */
  const clipNamed = (encoded: string) => {
    let id: string;
    try {
      id = decodeURIComponent(encoded);
    } catch {
      throw new HttpError(400, `${encoded} is not a percent-encoded clip id`);
    }
    const found = catalog.find(id);
    if (!found) throw new HttpError(404, `no indexed clip ${JSON.stringify(id)}: GET /clips?q=… lists them`);
    return found;
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const [path, search = ''] = (request.url ?? '/').split('?', 2);
    const query = new URLSearchParams(search);
    const method = request.method ?? 'GET';
    const allow = (methods: string) => {
      if (method === 'OPTIONS') throw new Preflight(methods);
      if (!methods.split(', ').includes(method)) {
        response.setHeader('Allow', methods);
        throw new HttpError(405, `${method} ${path} is not supported: use ${methods} (see /docs)`);
      }
    };
    const file = files.get(path);
    if (file) {
      allow('GET, HEAD');
      return sendFile(request, response, file, { 'Cache-Control': 'no-cache' });
    }
    const audio = CLIP_AUDIO.exec(path);
    if (audio) {
      allow('GET, HEAD');
      const { clip } = clipNamed(audio[1]);
      if (clip.audioPath === null) throw new HttpError(404, `the model directory does not say where ${clip.id}'s audio is: index it again with boiler index --wav-dir`);
      return sendFile(request, response, clip.audioPath, { 'Cache-Control': 'max-age=3600' }).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? new HttpError(404, `${clip.id}'s audio is no longer at ${clip.audioPath}`) : error;
      });
    }
    const nearestClip = NEAREST_CLIP.exec(path);
    if (nearestClip) {
      allow('GET');
      const { position } = clipNamed(nearestClip[1]);
      const matches = index.nearest(index.vectors.vectorOf(position), parseK(query), { exclude: position });
      return send(response, 200, matchesJson(matches, catalog));
    }
    switch (path) {
      case '/nearest': {
        allow('POST');
        const k = parseK(query);
        const body = await readBody(request, MAX_JSON_BYTES, 'JSON body');
        return send(response, 200, matchesJson(nearestToEmbedding(index, body, k), catalog));
      }
      case '/nearest/audio': {
        allow('POST');
        const k = parseK(query);
        if (!embedder) throw new HttpError(503, `${index.dir} has no encoder.onnx, so this server cannot embed audio: ${repairAdvice(index.manifest)}`);
        const body = await readBody(request, options.maxUploadBytes, 'upload');
        const { matches, seconds, sha256 } = await mediaJobs(() => nearestToMedia(index, embedder, body, request.headers, k));
        return send(response, 200, matchesJson(matches, catalog), 'application/json', { [AUDIO_SECONDS_HEADER]: seconds.toFixed(3), [UPLOAD_SHA256_HEADER]: sha256 });
      }
      case '/clips': {
        allow('GET');
        const { total, clips } = catalog.search(query.get('q') ?? '', parseLimit(query, CLIP_LIST.fallback, CLIP_LIST.max));
        return send(response, 200, JSON.stringify({ total, clips: clips.map(clipJson) }));
      }
      case '/feedback': {
        allow('GET, HEAD, POST');
        if (method !== 'POST') return send(response, 200, await feedback.read(), 'application/x-ndjson; charset=utf-8');
        const body = await readBody(request, MAX_VOTE_BYTES, 'vote');
        const line = parseVote(body, (id) => catalog.find(id) !== undefined);
        await feedback.append(line);
        return send(response, 201, JSON.stringify({ recorded: line }));
      }
      case '/map': {
        allow('GET');
        const json = map.current();
        if (json !== undefined) return send(response, 200, json);
        const detail = `computing the map of ${catalog.clips.length} clips (${Math.round(map.done * 100)}%): ask again shortly`;
        return send(response, 202, JSON.stringify({ detail }), 'application/json', { 'Retry-After': '2' });
      }
      case '/training/metrics': {
        allow('GET');
        const rows = metricsFile ? await readTrainingMetrics(metricsFile) : undefined;
        if (!rows) throw new HttpError(404, metricsFile ? `no training metrics: ${metricsFile} is not there` : 'this model directory has no checkpoint, so no training metrics');
        return send(response, 200, JSON.stringify({ checkpoint: index.manifest.checkpoint!.path, rows }));
      }
      case '/health':
        allow('GET, HEAD');
        return send(response, 200, health);
      case '/openapi.json':
        allow('GET, HEAD');
        return send(response, 200, spec);
      default:
        throw new HttpError(404, `no such path ${path}: the page is at /, the API is described at /docs`);
    }
  };

  const server = createServer((request, response) => {
    const allowed = corsOrigin(cors, request.headers.origin);
    if (allowed) {
      response.setHeader('Access-Control-Allow-Origin', allowed);
      response.setHeader('Access-Control-Expose-Headers', `${AUDIO_SECONDS_HEADER}, ${UPLOAD_SHA256_HEADER}, Content-Range, Accept-Ranges, Content-Length`);
      if (allowed !== '*') response.setHeader('Vary', 'Origin');
    }
    route(request, response).catch((error: unknown) => {
      if (error instanceof Preflight) {
        const headers: Record<string, string> = { Allow: `${error.methods}, OPTIONS` };
        if (allowed) {
          headers['Access-Control-Allow-Methods'] = `${error.methods}, OPTIONS`;
          headers['Access-Control-Allow-Headers'] = 'Content-Type, Range';
          headers['Access-Control-Max-Age'] = '600';
        }
        response.writeHead(204, headers);
        return void response.end();
      }
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

/** An OPTIONS request (a CORS preflight) for a path that answers `methods`. */
class Preflight {
  constructor(readonly methods: string) {}
}

/** The Access-Control-Allow-Origin for a request from `origin`, or undefined when `--cors` does not allow it. */
function corsOrigin(allowed: string[], origin: string | undefined): string | undefined {
  if (allowed.includes('*')) return '*';
  return origin !== undefined && allowed.includes(origin) ? origin : undefined;
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
