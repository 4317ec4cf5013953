/**
 * A fake coub.com for tests and benchmarks: the API v2 hot timelines (paginated, with `next`
 * anchors, in the real answer's shape) and a media host serving real mp3/m4a/mp4 bytes, on
 * 127.0.0.1 over real HTTP, with faults injected on request: 5xx, 429 with Retry-After,
 * connections reset mid-body, bodies shorter than their Content-Length, malformed JSON, answers of
 * the wrong shape, and bodies that stall half-way (to kill a crawler mid-download).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/cli.js';

/** A fixture file name under fixtures/media (its extension is the URL's), or raw bytes. */
export type Media = string | Buffer;

export interface FakeCoubSpec {
  permalink: string;
  title?: string;
  /** Left out of the answer when undefined, as real answers sometimes do. */
  duration?: number;
  hasSound?: boolean;
  audio?: { high?: Media; med?: Media; file?: Media };
  video?: Media;
}

export type FaultKind =
  | { type: 'status'; status: number }
  | { type: 'retry-after'; seconds: number }
  | { type: 'reset' }
  | { type: 'short' }
  | { type: 'malformed' }
  | { type: 'shape' }
  | { type: 'stall' };

export interface Fault {
  /** Tested against the request's path and query, e.g. /\/media\/abc\/high/ or /music\/monthly\?page=2/. */
  match: RegExp;
  times: number;
  kind: FaultKind;
}

export interface RequestRecord {
  /** Path and query. */
  url: string;
  path: string;
  query: Record<string, string>;
  at: number;
  status: number;
  fault?: FaultKind['type'];
}

export interface FakeCoubOptions {
  /** Each category's hot timeline, hottest first; the same coub may be in several. */
  timelines: Record<string, FakeCoubSpec[]>;
  /** Coubs that become hot right after a category's first page is served: they shift its pages for a crawler that pages without anchors. */
  arrivals?: Record<string, FakeCoubSpec[]>;
  faults?: Fault[];
  /** Holds every media answer until the test calls releaseMedia(), so that downloads pile up. */
  holdMedia?: boolean;
}

export interface FakeCoubHost {
  origin: string;
  apiBase: string;
  requests: RequestRecord[];
  /** The most media answers that were in flight at once. */
  maxConcurrentMedia: number;
  /** Resolves once `count` stall faults are holding a half-sent body. */
  stalled(count: number): Promise<void>;
  /** Resolves once `count` media answers are in flight at once. */
  mediaInFlight(count: number): Promise<void>;
  /** Sends the held media answers, and every later one at once (see holdMedia). */
  releaseMedia(): void;
  close(): Promise<void>;
}

export function mediaBytes(media: Media): Buffer {
  return typeof media === 'string' ? readFileSync(join(FIXTURES, 'media', media)) : media;
}

function extensionOf(media: Media, fallback: string): string {
  return typeof media === 'string' ? media.slice(media.lastIndexOf('.') + 1) : fallback;
}

const MAX_PER_PAGE = 25;
const FIRST_ID = 84085654;
const MEDIA_PATH = /^\/media\/([^/]+)\/(high|med|file|video)\.(\w+)$/;
const TIMELINE_PATH = /^\/api\/v2\/timeline\/hot\/([^/]+)\/([^/]+)$/;

export async function startFakeCoub(options: FakeCoubOptions): Promise<FakeCoubHost> {
  const faults = (options.faults ?? []).map((fault) => ({ ...fault }));
  const specs = new Map<string, FakeCoubSpec>();
  for (const list of [...Object.values(options.timelines), ...Object.values(options.arrivals ?? {})]) {
    for (const spec of list) specs.set(spec.permalink, spec);
  }
  const ids = new Map([...specs.keys()].map((permalink, i) => [permalink, FIRST_ID + i]));
  const current = new Map(Object.entries(options.timelines).map(([category, list]) => [category, [...list]]));
  const pagesTotal = new Map(Object.entries(options.timelines).map(([category, list]) => [category, list.length]));
  const arrived = new Set<string>();
  const stallWaiters: { count: number; resolve: () => void }[] = [];
  let stalls = 0;
  let mediaInFlight = 0;
  const inFlightWaiters: { count: number; resolve: () => void }[] = [];
  let mediaHeld = options.holdMedia ?? false;
  const heldMedia: (() => void)[] = [];
  let origin = '';

  const host: FakeCoubHost = {
    origin: '',
    apiBase: '',
    requests: [],
    maxConcurrentMedia: 0,
    stalled: (count) => (stalls >= count ? Promise.resolve() : new Promise((resolve) => stallWaiters.push({ count, resolve }))),
    mediaInFlight: (count) => (mediaInFlight >= count ? Promise.resolve() : new Promise((resolve) => inFlightWaiters.push({ count, resolve }))),
    releaseMedia() {
      mediaHeld = false;
      for (const release of heldMedia.splice(0)) release();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function mediaUrl(spec: FakeCoubSpec, level: 'high' | 'med' | 'file' | 'video', media: Media): string {
    return `${origin}/media/${spec.permalink}/${level}.${extensionOf(media, level === 'video' ? 'mp4' : 'mp3')}`;
  }

  /** The coub as the real API answers it (see ../shared/coub-api.md), with the optional fields only when set. */
  function coubJson(spec: FakeCoubSpec): Record<string, unknown> {
    const audio: Record<string, { url: string; size: number }> = {};
    for (const level of ['high', 'med'] as const) {
      const media = spec.audio?.[level];
      if (media !== undefined) audio[level] = { url: mediaUrl(spec, level, media), size: mediaBytes(media).length };
    }
    const video = spec.video === undefined ? undefined : { url: mediaUrl(spec, 'video', spec.video), size: mediaBytes(spec.video).length };
    return {
      id: ids.get(spec.permalink),
      permalink: spec.permalink,
      title: spec.title ?? `coub ${spec.permalink}`,
      type: 'Coub::Simple',
      ...(spec.duration === undefined ? {} : { duration: spec.duration }),
      ...(spec.hasSound === undefined ? {} : { has_sound: spec.hasSound }),
      created_at: '2018-09-02T04:09:28Z',
      views_count: 110268,
      channel: { id: 4572400, title: 'Saigofu' },
      tags: [{ title: 'fake' }],
      file_versions: {
        html5: { ...(video ? { video: { high: video, med: video } } : {}), ...(Object.keys(audio).length > 0 ? { audio } : {}) },
        mobile: { audio: Object.values(audio).map((a) => a.url) },
      },
      ...(spec.audio?.file === undefined ? {} : { audio_file_url: mediaUrl(spec, 'file', spec.audio.file) }),
    };
  }

  function timelinePage(category: string, query: URLSearchParams): Record<string, unknown> | undefined {
    const list = current.get(category);
    if (list === undefined) return undefined;
    const perPage = Math.min(MAX_PER_PAGE, Number(query.get('per_page') ?? 10));
    const page = Number(query.get('page') ?? 1);
    const anchor = query.get('anchor');
    const anchored = anchor === null ? -1 : list.findIndex((spec) => String(ids.get(spec.permalink)) === anchor);
    const start = anchored >= 0 ? anchored + 1 : (page - 1) * perPage;
    const coubs = list.slice(start, start + perPage);
    if (!arrived.has(category)) {
      arrived.add(category);
      list.unshift(...(options.arrivals?.[category] ?? []));
    }
    return {
      page,
      per_page: perPage,
      total_pages: Math.ceil((pagesTotal.get(category) ?? 0) / perPage),
      next: coubs.length > 0 ? ids.get(coubs[coubs.length - 1].permalink) : null,
      coubs: coubs.map(coubJson),
    };
  }

  function mediaFor(path: string): Buffer | undefined {
    const match = MEDIA_PATH.exec(path);
    const spec = match ? specs.get(match[1]) : undefined;
    if (!match || !spec) return undefined;
    const level = match[2] as 'high' | 'med' | 'file' | 'video';
    const media = level === 'video' ? spec.video : spec.audio?.[level];
    return media === undefined ? undefined : mediaBytes(media);
  }

  function takeFault(url: string): FaultKind | undefined {
    const fault = faults.find((f) => f.times > 0 && f.match.test(url));
    if (fault === undefined) return undefined;
    fault.times--;
    return fault.kind;
  }

  function stall(res: ServerResponse, body: Buffer): void {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.write(body.subarray(0, body.length >> 1), () => {
      stalls++;
      for (const waiter of stallWaiters.filter((w) => stalls >= w.count)) waiter.resolve();
    });
  }

  /** Answers with a fault; the body is the one a healthy answer would have carried. */
  function injure(res: ServerResponse, kind: FaultKind, body: Buffer, type: string): void {
    switch (kind.type) {
      case 'status':
        res.writeHead(kind.status, { 'content-type': 'text/html' }).end(`<html><body>${kind.status}</body></html>`);
        return;
      case 'retry-after':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(kind.seconds) }).end('{"error":"Too many requests"}');
        return;
      case 'reset':
        res.writeHead(200, { 'content-type': type, 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.resetAndDestroy());
        return;
      case 'short':
        res.writeHead(200, { 'content-type': type, 'content-length': body.length + 1000 });
        res.write(body, () => res.socket?.end());
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' }).end(body.subarray(0, body.length >> 1));
        return;
      case 'shape':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","items":[]}');
        return;
      case 'stall':
        stall(res, body);
        return;
    }
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const record: RequestRecord = { url: url.pathname + url.search, path: url.pathname, query: Object.fromEntries(url.searchParams), at: Date.now(), status: 0 };
    host.requests.push(record);
    res.on('close', () => (record.status = res.statusCode));
    const timeline = TIMELINE_PATH.exec(url.pathname);
    const media = timeline ? undefined : mediaFor(url.pathname);
    const body = timeline ? timelinePage(timeline[1], url.searchParams) : media;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const type = timeline ? 'application/json; charset=utf-8' : 'application/octet-stream';
    if (media !== undefined) {
      mediaInFlight++;
      host.maxConcurrentMedia = Math.max(host.maxConcurrentMedia, mediaInFlight);
      res.on('close', () => mediaInFlight--);
      for (const waiter of inFlightWaiters.filter((w) => mediaInFlight >= w.count)) waiter.resolve();
      if (mediaHeld) await new Promise<void>((resolve) => heldMedia.push(resolve));
    }
    const fault = takeFault(record.url);
    record.fault = fault?.type;
    if (fault) injure(res, fault, bytes, type);
    else res.writeHead(200, { 'content-type': type, 'content-length': bytes.length }).end(bytes);
  }

  const server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host.origin = origin;
  host.apiBase = `${origin}/api/v2`;
  return host;
}
