import { Command, InvalidArgumentError, Option } from 'commander';
import { action, integerIn, positiveInteger, positiveNumber } from '../cli/context.js';
import { createProgress } from '../cli/progress.js';
import { CATEGORIES, DEFAULT_API_BASE, MAX_PER_PAGE, PERIODS } from '../crawl/api.js';
import { crawl, megabytes, type CrawlSummary } from '../crawl/crawl.js';
import { DEFAULT_RETRY } from '../crawl/retry.js';
import { ExitCode } from '../errors.js';

interface CrawlFlags {
  out: string;
  categories: string[];
  period: string;
  pages?: number;
  perPage: number;
  concurrency: number;
  video?: boolean;
  limit?: number;
  apiBase: string;
  retries: number;
  retryDelay: number;
  json?: boolean;
}

/** Everything but nsfw, which has to be asked for by name. */
const DEFAULT_CATEGORIES = CATEGORIES.filter((c) => c !== 'nsfw');

/** A request that has not finished in two minutes is abandoned and retried. */
const REQUEST_TIMEOUT_MS = 120_000;

/** How many failed coubs the summary names; the manifest has them all. */
const FAILURES_SHOWN = 10;

function categoryList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(CATEGORIES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`unknown category ${unknown.map((n) => `'${n}'`).join(', ') || "''"}; choose from ${CATEGORIES.join(', ')}.`);
  }
  return [...new Set(names)];
}

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL such as https://coub.com/api/v2.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http(s) URL.');
  return value;
}

function summaryLines(summary: CrawlSummary): string[] {
  const head =
    `crawl: ${summary.coubs} coubs: ${summary.new} new, ${summary.had} already had, ${summary.noAudio} no-audio, ` +
    `${summary.failed} failed; ${megabytes(summary.bytes)} in ${summary.seconds.toFixed(1)} s → ${summary.manifest}`;
  const failures = summary.failures.slice(0, FAILURES_SHOWN).map((f) => `  failed ${f.permalink}: ${f.reason}`);
  const more = summary.failures.length - failures.length;
  return [head, ...failures, ...(more > 0 ? [`  … and ${more} more (status "failed" in the manifest)`] : [])];
}

/** `boiler crawl`: downloads coubs' audio tracks (and videos) from the hot timelines, resumably. */
export function crawlCommand(program: Command): Command {
  return new Command('crawl')
    .description("download coubs' whole audio tracks (and muted videos) from coub.com's hot timelines; rerun to resume")
    .requiredOption('--out <dir>', 'directory for audio/, video/, json/ and manifest.jsonl')
    .addOption(new Option('--categories <list>', 'comma-separated categories').argParser(categoryList).default(DEFAULT_CATEGORIES, 'all but nsfw'))
    .addOption(new Option('--period <name>', 'hot timeline period').choices(PERIODS).default('monthly'))
    .option('--pages <n>', 'pages per category (default: all)', positiveInteger)
    .option('--per-page <n>', `coubs per page, 1..${MAX_PER_PAGE}`, integerIn(1, MAX_PER_PAGE), MAX_PER_PAGE)
    .option('--concurrency <n>', 'coubs downloading at once', integerIn(1, 64), 6)
    .option('--video', 'also download the muted video to video/<permalink>.mp4')
    .option('--limit <n>', 'stop after this many distinct coubs', positiveInteger)
    .option('--api-base <url>', 'coub API base', httpUrl, DEFAULT_API_BASE)
    .option('--retries <n>', 'retries per request on network errors, 5xx and 429', integerIn(0, 20), DEFAULT_RETRY.retries)
    .option('--retry-delay <ms>', 'first back-off in ms; doubles per retry (jittered), Retry-After wins when longer', positiveNumber, DEFAULT_RETRY.baseDelayMs)
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ boiler crawl --out coubs --categories music,anime --pages 4\n' +
        '  $ boiler crawl --out coubs --period weekly --video --limit 500 --concurrency 8\n' +
        '  $ boiler crawl --out coubs --categories music --pages 4   # rerun: resumes, downloads nothing twice\n',
    )
    .action(
      action<CrawlFlags>(program, async (_args, flags, context) => {
        const summary = await crawl(
          {
            ...flags,
            video: Boolean(flags.video),
            retry: { ...DEFAULT_RETRY, retries: flags.retries, baseDelayMs: flags.retryDelay },
            timeoutMs: REQUEST_TIMEOUT_MS,
          },
          {
            progress: createProgress,
            onRetry: (notice) => {
              if (context.verbose) context.info(`retry ${notice.attempt} of ${notice.url} in ${(notice.delayMs / 1000).toFixed(1)} s: ${notice.reason}`);
            },
          },
        );
        if (flags.json) context.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else for (const line of summaryLines(summary)) context.info(line);
        return summary.failed > 0 ? ExitCode.partial : ExitCode.ok;
      }),
    );
}
