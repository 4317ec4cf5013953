/**
 * The parts of coub.com's API v2 that the crawler reads (see ../shared/coub-api.md): the names it
 * accepts, the timeline URL, and a checked reading of a timeline answer.
 */

export const DEFAULT_API_BASE = 'https://coub.com/api/v2';

export const CATEGORIES = [
  'animals-pets',
  'mashup',
  'anime',
  'movies',
  'gaming',
  'cartoons',
  'art',
  'music',
  'news',
  'sports',
  'science-technology',
  'celebrity',
  'nature-travel',
  'fashion',
  'dance',
  'cars',
  'nsfw',
] as const;

export const PERIODS = ['daily', 'weekly', 'monthly', 'quarter', 'half'] as const;

/** The server caps per_page at 25. */
export const MAX_PER_PAGE = 25;

/** A coub as the API answers it: the few fields boiler reads, and everything else kept as is for DIR/json. */
export interface Coub {
  permalink: string;
  title: string;
  duration?: number;
  has_sound?: boolean;
  file_versions?: {
    html5?: {
      video?: Record<string, { url?: unknown } | undefined>;
      audio?: Record<string, { url?: unknown } | undefined>;
    };
  };
  audio_file_url?: unknown;
  [field: string]: unknown;
}

export interface TimelinePage {
  page: number;
  totalPages: number;
  /** The anchor for the next request; pages shift without it as new coubs arrive. */
  next?: string | number;
  coubs: Coub[];
}

export function timelineUrl(
  apiBase: string,
  where: { category: string; period: string; page: number; perPage: number; anchor?: string | number },
): string {
  const url = new URL(`${apiBase.replace(/\/+$/, '')}/timeline/hot/${where.category}/${where.period}`);
  url.searchParams.set('page', String(where.page));
  url.searchParams.set('per_page', String(where.perPage));
  if (where.anchor !== undefined) url.searchParams.set('anchor', String(where.anchor));
  return url.toString();
}

/** The permalink names files (DIR/audio/<permalink>.mp3), so it must not be able to name a path. */
const PERMALINK = /^[A-Za-z0-9_-]{1,64}$/;

/** Thrown when an answer parses as JSON but is not a timeline page; the message names the field. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readCoub(value: unknown, index: number): Coub {
  if (!isObject(value)) throw new ShapeError(`coubs[${index}] is not an object`);
  const { permalink, title, duration } = value;
  if (typeof permalink !== 'string' || !PERMALINK.test(permalink)) {
    throw new ShapeError(`coubs[${index}].permalink is ${JSON.stringify(permalink)}, not a coub permalink`);
  }
  if (title !== undefined && title !== null && typeof title !== 'string') throw new ShapeError(`coubs[${index}].title is not a string`);
  if (duration !== undefined && duration !== null && typeof duration !== 'number') throw new ShapeError(`coubs[${index}].duration is not a number`);
  if (value.file_versions !== undefined && !isObject(value.file_versions)) throw new ShapeError(`coubs[${index}].file_versions is not an object`);
  return { ...value, permalink, title: title ?? '', duration: duration ?? undefined } as Coub;
}

/** Reads a timeline answer, or throws a ShapeError saying what is missing. */
export function readTimelinePage(body: unknown): TimelinePage {
  if (!isObject(body)) throw new ShapeError('the answer is not a JSON object');
  if (!Array.isArray(body.coubs)) throw new ShapeError('it has no "coubs" list');
  const totalPages = body.total_pages;
  if (typeof totalPages !== 'number' || !Number.isInteger(totalPages) || totalPages < 0) {
    throw new ShapeError('it has no whole "total_pages"');
  }
  const page = typeof body.page === 'number' ? body.page : 1;
  const next = typeof body.next === 'number' || typeof body.next === 'string' ? body.next : undefined;
  return { page, totalPages, next, coubs: body.coubs.map(readCoub) };
}
