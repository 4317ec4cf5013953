import { existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { HttpError } from './http-error.js';

/** What a vote was about: the clip searched from, or an upload (its file name and sha256). */
export type FeedbackQuery = { clip: string } | { upload: string; sha256: string };

/** One line of the feedback file. */
export interface FeedbackLine {
  time: string;
  query: FeedbackQuery;
  result: string;
  vote: 'up' | 'down';
  rank?: number;
  distance?: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * POST /feedback's body, checked: `{query, result, vote, rank?, distance?}`, where `isClip` says
 * whether an id names an indexed clip. Throws HttpError 400 saying what is wrong.
 */
export function parseVote(body: Buffer, isClip: (id: string) => boolean, now = new Date()): FeedbackLine {
  let vote: Record<string, unknown>;
  try {
    vote = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  const shape = 'send {"query": {"clip": ID} or {"upload": NAME, "sha256": HEX}, "result": ID, "vote": "up" or "down"}';
  if (vote === null || typeof vote !== 'object' || Array.isArray(vote)) throw new HttpError(400, `the body must be a JSON object: ${shape}`);
  const query = vote.query as Record<string, unknown> | null | undefined;
  let checkedQuery: FeedbackQuery;
  if (typeof query?.clip === 'string' && isClip(query.clip)) checkedQuery = { clip: query.clip };
  else if (typeof query?.upload === 'string' && typeof query.sha256 === 'string' && SHA256.test(query.sha256)) checkedQuery = { upload: query.upload, sha256: query.sha256 };
  else throw new HttpError(400, `query must name an indexed clip or an upload with its sha256 (X-Boiler-Upload-Sha256): ${shape}`);
  if (typeof vote.result !== 'string' || !isClip(vote.result)) throw new HttpError(400, `result must be the id of an indexed clip, got ${JSON.stringify(vote.result)}`);
  if (vote.vote !== 'up' && vote.vote !== 'down') throw new HttpError(400, `vote must be "up" or "down", got ${JSON.stringify(vote.vote)}`);
  const line: FeedbackLine = { time: now.toISOString(), query: checkedQuery, result: vote.result, vote: vote.vote };
  if (vote.rank !== undefined) {
    if (!Number.isInteger(vote.rank) || (vote.rank as number) < 1) throw new HttpError(400, `rank must be a whole number ≥ 1, got ${JSON.stringify(vote.rank)}`);
    line.rank = vote.rank as number;
  }
  if (vote.distance !== undefined) {
    if (typeof vote.distance !== 'number' || !Number.isFinite(vote.distance)) throw new HttpError(400, `distance must be a number, got ${JSON.stringify(vote.distance)}`);
    line.distance = vote.distance;
  }
  return line;
}

/**
 * The feedback file: JSON lines, appended one whole line per write(2) on a file opened with
 * O_APPEND, so that votes from concurrent requests, and from the processes of `serve --workers`,
 * never interleave or overwrite each other.
 */
export class FeedbackLog {
  constructor(readonly path: string) {}

  async append(line: FeedbackLine): Promise<void> {
    const handle = await open(this.path, 'a');
    try {
      const bytes = Buffer.from(JSON.stringify(line) + '\n');
      const { bytesWritten } = await handle.write(bytes);
      if (bytesWritten !== bytes.length) throw new Error(`only ${bytesWritten} of ${bytes.length} bytes reached ${this.path}`);
    } finally {
      await handle.close();
    }
  }

  /** Every whole line so far (a line cut short by a crash is left out). */
  async read(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
    return text.slice(0, text.lastIndexOf('\n') + 1);
  }
}

/** Where votes go: `--feedback FILE`, else feedback.jsonl in the model directory; its folder must exist. */
export function feedbackFileFor(modelDir: string, flag: string | undefined): string {
  const path = flag ?? join(modelDir, 'feedback.jsonl');
  const folder = dirname(resolve(path));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UserError(`--feedback ${path}: the folder ${folder} does not exist: create it or pass another file`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`--feedback ${path} is a folder: pass a file name`);
  return path;
}
