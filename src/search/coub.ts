import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { readManifestEntries } from '../crawl/crawl-manifest.js';

/** What a clip is called in search results: a coub (by permalink) or, for other audio, its file name. */
export interface ClipIdentity {
  /** The permalink for a coub, else the file name; `--id` and the API's `coub_id` use it. */
  coubId: string;
  /** `https://coub.com/view/<permalink>` for a coub, else the file name: the metadata.tsv line. */
  label: string;
}

const COUB_VIEW = 'https://coub.com/view/';
/**
 * What a coub permalink looks like: a short lower-case base-36 string that mixes digits and
 * letters, such as `1dnm2b` or `2a3b4c`. Requiring both keeps words (`silent`, `noise`, `beat`)
 * and plain numbers from being taken for coubs; the rare permalink without a digit is a coub only
 * where a crawl manifest lists it.
 */
const PERMALINK = /^(?=[0-9a-z]*[0-9])(?=[0-9a-z]*[a-z])[0-9a-z]{4,10}$/;

/** What the crawl's `manifest.jsonl` says of one coub that later stages show: its title, category and audio. */
export interface CrawledCoub {
  title?: string;
  category?: string;
  /** The downloaded audio file, absolute; null when the coub had none. */
  audio: string | null;
}

/**
 * The coubs that `boiler crawl` listed in a `manifest.jsonl`, by permalink, looked for in the wav
 * directory and in its parent (the crawl's `--out`, when the wavs were converted into a folder of
 * it). Undefined when there is no such manifest. A later line for a coub supersedes an earlier one,
 * as in the crawl.
 */
export function readCrawledCoubs(wavDir: string): Map<string, CrawledCoub> | undefined {
  for (const dir of [wavDir, dirname(wavDir)]) {
    const path = join(dir, 'manifest.jsonl');
    if (!existsSync(path)) continue;
    const coubs = new Map<string, CrawledCoub>();
    // Only the permalink is checked by the reader: a manifest written by another tool may lack the other fields.
    for (const entry of readManifestEntries(path).values()) {
      coubs.set(entry.permalink, {
        title: typeof entry.title === 'string' ? entry.title : undefined,
        category: typeof entry.category === 'string' ? entry.category : undefined,
        audio: typeof entry.audio === 'string' ? resolve(dir, entry.audio) : null,
      });
    }
    return coubs;
  }
  return undefined;
}

/** Permalinks of the coubs a crawl manifest lists (readCrawledCoubs), or undefined without one. */
export function readCrawlPermalinks(wavDir: string): Set<string> | undefined {
  const coubs = readCrawledCoubs(wavDir);
  return coubs && new Set(coubs.keys());
}

/**
 * A wav whose stem is a coub permalink is that coub. With a crawl manifest, the manifest decides;
 * without one, a stem shaped like a permalink (PERMALINK) is taken as one, so that wavs converted
 * from coubs downloaded by other tools keep their links while local files get none made up.
 */
export function clipIdentity(fileName: string, crawled: Set<string> | undefined): ClipIdentity {
  const stem = basename(fileName, extname(fileName));
  const isCoub = crawled ? crawled.has(stem) : PERMALINK.test(stem);
  return isCoub ? { coubId: stem, label: COUB_VIEW + stem } : { coubId: fileName, label: fileName };
}

/** The inverse of clipIdentity's label, for reading metadata.tsv back. */
export function coubIdOfLabel(label: string): string {
  return label.startsWith(COUB_VIEW) ? label.slice(COUB_VIEW.length) : label;
}
