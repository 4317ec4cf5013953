export interface CrawlPlan {
  categories: number;
  /** `total_pages` of each category whose first page has arrived. */
  pageTotals: number[];
  maxPages?: number;
  perPage: number;
  limit?: number;
}

/**
 * How many coubs the crawl will meet, for the progress bar's total and ETA: the pages each known
 * category has (capped by --pages), the average of those for the categories not reached yet, times
 * the page size, capped by --limit. Duplicates and short last pages make it an upper estimate.
 */
export function estimateCoubs(plan: CrawlPlan): number {
  const known = plan.pageTotals.map((total) => Math.min(total, plan.maxPages ?? Infinity));
  const knownPages = known.reduce((sum, pages) => sum + pages, 0);
  const guess = known.length > 0 ? knownPages / known.length : (plan.maxPages ?? 1);
  const pages = knownPages + guess * (plan.categories - known.length);
  return Math.round(Math.min(plan.limit ?? Infinity, pages * plan.perPage));
}
