import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeError } from '../audio/transcode.js';
import { UserError } from '../errors.js';
import type { MediaEmbedder } from '../search/media-embedder.js';
import type { ClipCatalog, ClipInfo } from '../search/clip-catalog.js';
import type { Match, ModelIndex } from '../search/model-index.js';
import { checkQueryVector } from '../search/query-vector.js';
import { HttpError } from './http-error.js';
import { isMultipart, multipartFile } from './multipart.js';

/** The original's default k, and a cap that keeps one answer small. */
export const DEFAULT_K = 12;
export const MAX_K = 1000;

/** `?k=`: an integer from 1 to MAX_K, DEFAULT_K when absent. */
export function parseK(search: URLSearchParams): number {
  const raw = search.get('k');
  if (raw === null) return DEFAULT_K;
  const k = Number(raw);
  if (!/^\d+$/.test(raw) || k < 1 || k > MAX_K) throw new HttpError(400, `k must be an integer from 1 to ${MAX_K}, got ${JSON.stringify(raw)}`);
  return k;
}

/** Where GET serves a clip's audio: ids are percent-encoded, so that any file name is one path segment. */
export function clipAudioPath(id: string): string {
  return `/clips/${encodeURIComponent(id)}/audio`;
}

/** A clip as GET /clips lists it. */
export function clipJson(clip: ClipInfo): Record<string, unknown> {
  const { id, title, url, coub, category } = clip;
  return { id, title, url, coub, category, audio: clip.audioPath === null ? null : clipAudioPath(id) };
}

/**
 * The wire form of matches: the original's `distance` and `coub_id`, the clip's url, then what a
 * page shows of it (rank, title, coub page, category, where its audio is).
 */
export function matchesJson(matches: Match[], catalog: ClipCatalog): string {
  return JSON.stringify(
    matches.map((m) => {
      const { id: _id, url: _url, ...clip } = clipJson(catalog.find(m.coubId)!.clip);
      return { distance: m.distance, coub_id: m.coubId, url: m.url, rank: m.rank, ...clip };
    }),
  );
}

/** `?limit=`: an integer from 1 to `max`, `fallback` when absent. */
export function parseLimit(search: URLSearchParams, fallback: number, max: number): number {
  const raw = search.get('limit');
  if (raw === null) return fallback;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > max) throw new HttpError(400, `limit must be an integer from 1 to ${max}, got ${JSON.stringify(raw)}`);
  return limit;
}

/** POST /nearest: `{"embedding": number[]}` → the k nearest clips. */
export function nearestToEmbedding(index: ModelIndex, body: Buffer, k: number): Match[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    const hint = /\b(NaN|-?Infinity)\b/.test(body.toString('utf8')) ? ' (JSON has no NaN or Infinity: send finite numbers)' : '';
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}${hint}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('embedding' in parsed)) {
    throw new HttpError(400, 'the body must be a JSON object {"embedding": [numbers]}');
  }
  let vector: Float32Array;
  try {
    vector = checkQueryVector(parsed.embedding, index.manifest.dimension);
  } catch (error) {
    throw error instanceof UserError ? new HttpError(400, error.message) : error;
  }
  return index.nearest(vector, k);
}

/**
 * POST /nearest/audio: a media file (the raw body, or the `file` of a multipart form), decoded by
 * ffmpeg from a temporary file (some containers, such as mp4 with its index at the end, cannot be
 * decoded from a pipe), embedded by the model directory's encoder. Also gives the seconds of audio
 * embedded (all of it, or the first window, as the model directory does), and the upload's sha256
 * (what a vote on its results names it by).
 */
export async function nearestToMedia(
  index: ModelIndex,
  embedder: MediaEmbedder,
  body: Buffer,
  headers: IncomingHttpHeaders,
  k: number,
): Promise<{ matches: Match[]; seconds: number; sha256: string }> {
  const media = isMultipart(headers['content-type']) ? await multipartFile(body, headers) : body;
  if (media.length === 0) throw new HttpError(400, 'the upload is empty: send an audio or video file as the body or as a form field named file');
  const path = join(tmpdir(), `boiler-upload-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, media);
  try {
    const { vector, seconds } = await embedder.embedFile(path);
    return { matches: index.nearest(vector, k), seconds, sha256: createHash('sha256').update(media).digest('hex') };
  } catch (error) {
    if (error instanceof DecodeError) throw new HttpError(400, `the upload is not audio that ffmpeg can decode: ${error.message.replaceAll(path, 'upload')}`);
    throw error;
  } finally {
    rmSync(path, { force: true });
  }
}
