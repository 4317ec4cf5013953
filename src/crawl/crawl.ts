import { join } from 'node:path';
import pLimit from 'p-limit';
import { UserError } from '../errors.js';
import type { Coub } from './api.js';
import { estimateCoubs } from './estimate.js';
import { Http } from './http.js';
import { removeStaleTemporaries } from '../atomic-file.js';
import { makeDirectory, prepareOutputDirectory } from '../util/make-dir.js';
import { Manifest, isSettled, type ManifestEntry } from './crawl-manifest.js';
import { timelinePages } from './pager.js';
import type { StartProgress } from '../progress.js';
import type { RetryNotice, RetryPolicy } from './retry.js';
import { saveCoub, type SaveTarget } from './save-coub.js';

export interface CrawlOptions {
  out: string;
  categories: readonly string[];
  period: string;
  perPage: number;
  /** Pages per category; all of them when absent. */
  pages?: number;
  /** Stop after meeting this many distinct coubs (those an earlier run saved included, so a rerun meets the same ones). */
  limit?: number;
  /** Coubs downloading at once. */
  concurrency: number;
  video: boolean;
  apiBase: string;
  retry: RetryPolicy;
  timeoutMs: number;
}

/** What became of a coub met in this run. `had`: an earlier run settled it. */
export type CoubOutcome = 'new' | 'had' | 'no-audio' | 'failed';

export interface CrawlEvents {
  /** Ticks once per distinct coub met, noting the page being read and the bytes downloaded so far; the total follows the pages discovered. */
  progress?: StartProgress;
  onRetry?(notice: RetryNotice): void;
}

export interface CrawlSummary {
  /** Distinct coubs met. */
  coubs: number;
  new: number;
  had: number;
  noAudio: number;
  failed: number;
  /** Bytes downloaded in this run. */
  bytes: number;
  seconds: number;
  failures: { permalink: string; reason: string }[];
  manifest: string;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function outcomeOf(entry: ManifestEntry): CoubOutcome {
  return entry.status === 'ok' ? 'new' : entry.status;
}

/** A file system error (a full disk, a read-only directory) is the user's to fix: one line, and what to do. */
function asUserError(error: unknown, out: string): unknown {
  if (!(error instanceof Error) || typeof (error as NodeJS.ErrnoException).code !== 'string') return error;
  return new UserError(`cannot write into ${out}: ${error.message}. Fix that, then rerun: finished files are kept`, { cause: error });
}

function prepareOut(out: string): void {
  prepareOutputDirectory(out, '--out');
  for (const sub of ['json', 'audio', 'video']) {
    const dir = join(out, sub);
    makeDirectory(dir);
    removeStaleTemporaries(dir);
  }
}

/**
 * Crawls the hot timelines of `categories` into `out`: pages are read one at a time (the anchor
 * chains them), coubs are saved `concurrency` at a time, each coub once per run and once across
 * runs (the manifest says which are settled). Download failures are recorded and counted; an API
 * that cannot be read throws a UserError after the downloads under way have finished and been listed.
 */
export async function crawl(options: CrawlOptions, events: CrawlEvents = {}): Promise<CrawlSummary> {
  const started = Date.now();
  const planned = { categories: options.categories.length, pageTotals: [], maxPages: options.pages, perPage: options.perPage, limit: options.limit };
  const progress = events.progress?.({ label: 'crawl', total: estimateCoubs(planned), unit: 'coubs' });
  let met = 0;
  let bytes = 0;
  let where = '';
  const note = () => `${where} · ${megabytes(bytes)} (${megabytes(bytes / Math.max((Date.now() - started) / 1000, 1e-3))}/s)`;
  try {
    return await crawlCoubs(options, events.onRetry, {
      page: (page, expectedCoubs) => {
        where = page;
        progress?.setTotal(Math.max(expectedCoubs, met));
      },
      coub: () => {
        met++;
        progress?.tick(1, note());
      },
      bytes: (n) => (bytes += n),
    });
  } finally {
    progress?.setTotal(met);
    progress?.stop();
  }
}

/** What crawlCoubs tells crawl's progress: each page begun (and the coubs now expected), each coub met, each chunk downloaded. */
interface CrawlTicks {
  page(where: string, expectedCoubs: number): void;
  coub(): void;
  bytes(n: number): void;
}

async function crawlCoubs(options: CrawlOptions, onRetry: CrawlEvents['onRetry'], ticks: CrawlTicks): Promise<CrawlSummary> {
  const started = Date.now();
  prepareOut(options.out);
  const manifest = await Manifest.open(join(options.out, 'manifest.jsonl'));
  const http = new Http({ retry: options.retry, timeoutMs: options.timeoutMs, onRetry });
  const target: SaveTarget = { out: options.out, video: options.video, http, onBytes: ticks.bytes };
  const summary: CrawlSummary = {
    coubs: 0,
    new: 0,
    had: 0,
    noAudio: 0,
    failed: 0,
    bytes: 0,
    seconds: 0,
    failures: [],
    manifest: join(options.out, 'manifest.jsonl'),
  };
  const account = (outcome: CoubOutcome) => {
    if (outcome === 'no-audio') summary.noAudio++;
    else summary[outcome]++;
    ticks.coub();
  };

  const limit = pLimit(options.concurrency);
  const running = new Set<Promise<void>>();
  // A failure that is not one coub's (a full disk) stops the crawl; tasks not yet started then skip.
  let fatal: { error: unknown } | undefined;
  const schedule = (coub: Coub, category: string) => {
    const task = limit(async () => {
      if (fatal) return;
      try {
        const { entry, bytes } = await saveCoub(coub, category, target);
        await manifest.append(entry);
        summary.bytes += bytes;
        if (entry.status === 'failed') summary.failures.push({ permalink: entry.permalink, reason: entry.reason ?? '' });
        account(outcomeOf(entry));
      } catch (error) {
        // Set before this task's slot goes to the next coub, so that the next coub sees it.
        fatal ??= { error };
      }
    });
    running.add(task);
    void task.then(() => running.delete(task));
  };
  // The pager reads ahead of the downloads by at most this many queued coubs.
  const backlog = Math.max(options.concurrency * 2, options.perPage);

  const seen = new Set<string>();
  const pageTotals: number[] = [];
  const reachedLimit = () => options.limit !== undefined && seen.size >= options.limit;
  try {
    crawling: for (const category of options.categories) {
      const pages = timelinePages(http, { ...options, category, maxPages: options.pages });
      let first = true;
      for await (const page of pages) {
        if (first) pageTotals.push(page.totalPages);
        first = false;
        const expectedCoubs = estimateCoubs({ ...options, categories: options.categories.length, pageTotals, maxPages: options.pages });
        ticks.page(`${category} page ${page.page}/${page.totalPages}`, expectedCoubs);
        for (const coub of page.coubs) {
          if (fatal || reachedLimit()) break crawling;
          if (seen.has(coub.permalink)) continue;
          seen.add(coub.permalink);
          if (isSettled(manifest.get(coub.permalink), options.video)) account('had');
          else schedule(coub, category);
        }
        if (reachedLimit()) break crawling;
        while (limit.pendingCount > backlog && !fatal) await Promise.race(running);
      }
    }
  } finally {
    await Promise.all(running);
    await manifest.close();
  }
  if (fatal) throw asUserError(fatal.error, options.out);
  summary.coubs = seen.size;
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
