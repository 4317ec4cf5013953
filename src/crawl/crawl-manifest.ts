import { readFileSync } from 'node:fs';
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { UserError } from '../errors.js';

export type CoubStatus = 'ok' | 'no-audio' | 'failed';

/** One line of DIR/manifest.jsonl. Paths are relative to DIR. */
export interface ManifestEntry {
  permalink: string;
  url: string;
  title: string;
  category: string;
  duration?: number;
  audio: string | null;
  video: string | null;
  status: CoubStatus;
  reason?: string;
}

/** An entry that a rerun need not touch: finished, and with a video when videos are wanted. */
export function isSettled(entry: ManifestEntry | undefined, wantVideo: boolean): boolean {
  if (entry === undefined || entry.status === 'failed') return false;
  return !wantVideo || entry.video !== null;
}

/**
 * DIR/manifest.jsonl, one JSON line per coub, appended as each coub finishes so that a killed run
 * loses at most the line it was writing. A coub retried in a later run (it failed, or a video is
 * now wanted) gets a new line that supersedes the old one; close() then rewrites the file with one
 * line per coub.
 */
export class Manifest {
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, ManifestEntry>,
    private lines: number,
    private readonly handle: FileHandle,
  ) {}

  /** Reads the manifest (if any), dropping a last line cut short by a kill, and opens it for appending. */
  static async open(path: string): Promise<Manifest> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length < text.length) await truncate(path, Buffer.byteLength(complete));
    const entries = new Map<string, ManifestEntry>();
    const lines = complete.split('\n').filter((line) => line !== '');
    lines.forEach((line, index) => {
      const entry = parseManifestLine(line);
      if (!entry) throw new UserError(`${path} line ${index + 1} is not a manifest entry: fix or delete that line, then rerun`);
      entries.set(entry.permalink, entry);
    });
    return new Manifest(path, entries, lines.length, await open(path, 'a'));
  }

  get(permalink: string): ManifestEntry | undefined {
    return this.entries.get(permalink);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Appends one line; appends are serialized so that lines never interleave. */
  append(entry: ManifestEntry): Promise<void> {
    this.entries.set(entry.permalink, entry);
    this.lines++;
    const written = this.writing.then(() => this.handle.appendFile(JSON.stringify(entry) + '\n'));
    this.writing = written.catch(() => undefined);
    return written;
  }

  /** Waits for the pending lines, closes the file and, when some coub has two lines, rewrites it with one each. */
  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
    if (this.lines > this.entries.size) {
      writeFileAtomic(this.path, [...this.entries.values()].map((entry) => JSON.stringify(entry) + '\n').join(''));
      this.lines = this.entries.size;
    }
  }
}

/** A manifest line's entry: JSON that names a coub's permalink, else undefined. */
export function parseManifestLine(line: string): ManifestEntry | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  const permalink = (entry as { permalink?: unknown } | null | undefined)?.permalink;
  return typeof permalink === 'string' ? (entry as ManifestEntry) : undefined;
}

/**
 * A manifest.jsonl's entries by permalink, read leniently as the later stages read a crawl's
 * output: a line that is no entry (one cut short by a crawl that was killed) is skipped, and a
 * later line for a coub supersedes an earlier one, as in the crawl.
 */
export function readManifestEntries(path: string): Map<string, ManifestEntry> {
  const entries = new Map<string, ManifestEntry>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const entry = parseManifestLine(line);
    if (entry) entries.set(entry.permalink, entry);
  }
  return entries;
}
