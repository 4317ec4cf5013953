import { UserError } from '../errors.js';
import { ShapeError, readTimelinePage, timelineUrl, type TimelinePage } from './api.js';
import type { Http } from './http.js';

export interface TimelineWalk {
  apiBase: string;
  category: string;
  period: string;
  perPage: number;
  /** Stop after this many pages even if the timeline has more. */
  maxPages?: number;
}

/**
 * Walks one category's hot timeline page by page, sending the previous answer's `next` as the
 * anchor (without it pages shift as new coubs arrive), until `total_pages`, `maxPages` or an
 * empty page. An API that cannot be reached or answers something else is a UserError.
 */
export async function* timelinePages(http: Http, walk: TimelineWalk): AsyncGenerator<TimelinePage> {
  let anchor: string | number | undefined;
  for (let page = 1; ; page++) {
    const url = timelineUrl(walk.apiBase, { ...walk, page, anchor });
    const answer = await readPage(http, url);
    yield answer;
    const last = Math.min(answer.totalPages, walk.maxPages ?? Infinity);
    if (page >= last || answer.coubs.length === 0) return;
    anchor = answer.next;
  }
}

async function readPage(http: Http, url: string): Promise<TimelinePage> {
  let body: unknown;
  try {
    body = await http.getJson(url);
  } catch (error) {
    throw new UserError(
      `the coub API did not answer ${url}: ${(error as Error).message}. Check --api-base and the network, then rerun (finished files are kept)`,
      { cause: error },
    );
  }
  try {
    return readTimelinePage(body);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new UserError(`the coub API answered ${url} with an unexpected shape: ${error.message}. Is --api-base a coub API v2?`, {
      cause: error,
    });
  }
}
