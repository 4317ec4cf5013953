/**
 * boiler crawl against the fake coub host (its own process, on 127.0.0.1): 1,000 coubs with 200 KB
 * of audio each at concurrency 16, versus a bare loop that fetches the same 1,000 audio URLs with
 * the same concurrency and throws the bytes away. The crawler runs in this process through its
 * library (crawl()), so that its resident memory can be sampled while it runs; it pages the
 * timelines, writes the JSON, streams each file to disk and renames it, and keeps the manifest.
 * Target: crawl ≤ 1.5 × bare loop, peak RSS flat (far below the 200 MB downloaded).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pLimit from 'p-limit';
import { crawl, type CrawlOptions } from '../src/crawl/crawl.js';

const CATEGORIES = ['music', 'anime', 'movies', 'gaming'];
const PER_CATEGORY = 250;
const AUDIO_BYTES = 200_000;
const CONCURRENCY = 16;
const RUNS = 3;

async function startHost(): Promise<{ apiBase: string; stop: () => void }> {
  const server = spawn(process.execPath, ['--import', 'tsx', new URL('../test/fake-coub/serve.ts', import.meta.url).pathname, CATEGORIES.join(','), String(PER_CATEGORY), String(AUDIO_BYTES)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = await createInterface({ input: server.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
  return { apiBase: (JSON.parse(line) as { apiBase: string }).apiBase, stop: () => server.stdin.end() };
}

/** The audio URLs of every coub, read from the timelines once, untimed. */
async function audioUrls(apiBase: string): Promise<string[]> {
  const urls: string[] = [];
  for (const category of CATEGORIES) {
    let anchor = '';
    for (let page = 1; ; page++) {
      const answer = (await (await fetch(`${apiBase}/timeline/hot/${category}/monthly?page=${page}&per_page=25${anchor}`)).json()) as {
        total_pages: number;
        next: number;
        coubs: { file_versions: { html5: { audio: { high: { url: string } } } } }[];
      };
      urls.push(...answer.coubs.map((c) => c.file_versions.html5.audio.high.url));
      if (page >= answer.total_pages) break;
      anchor = `&anchor=${answer.next}`;
    }
  }
  return urls;
}

/** The baseline: fetch each URL with the same concurrency and read its body to the end. */
async function bareLoop(urls: string[]): Promise<number> {
  const limit = pLimit(CONCURRENCY);
  let bytes = 0;
  await Promise.all(
    urls.map((url) =>
      limit(async () => {
        const reader = (await fetch(url)).body!.getReader();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.byteLength;
      }),
    ),
  );
  return bytes;
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: (performance.now() - started) / 1000, result };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Where the crawl writes: tmpfs measures the crawler; the disk adds this machine's file system (ext4 on a shared virtual disk here). */
const TARGETS = [
  ...(existsSync('/dev/shm') ? [{ name: 'crawl to tmpfs', dir: '/dev/shm' }] : []),
  { name: 'crawl to disk', dir: tmpdir() },
];

const host = await startHost();
try {
  const urls = await audioUrls(host.apiBase);
  const options = (out: string): CrawlOptions => ({
    out,
    apiBase: host.apiBase,
    categories: CATEGORIES,
    period: 'monthly',
    perPage: 25,
    concurrency: CONCURRENCY,
    video: false,
    retry: { retries: 4, baseDelayMs: 500, maxDelayMs: 30_000 },
    timeoutMs: 120_000,
  });
  // Warm-up: connections, JIT, the fake host's caches.
  await bareLoop(urls.slice(0, 100));
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  const bare: number[] = [];
  const crawled = TARGETS.map(() => [] as number[]);
  let downloaded = 0;
  for (let run = 0; run < RUNS; run++) {
    const loop = await timed(() => bareLoop(urls));
    bare.push(loop.seconds);
    const line = [`run ${run + 1}: bare loop ${loop.seconds.toFixed(2)} s`];
    for (const [i, target] of TARGETS.entries()) {
      const out = mkdtempSync(join(target.dir, 'boiler-crawl-bench-'));
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
      const { seconds, result } = await timed(() => crawl(options(out)));
      clearInterval(sampler);
      rmSync(out, { recursive: true, force: true });
      if (result.new !== urls.length || result.bytes !== loop.result) {
        throw new Error(`the crawl saved ${result.new} coubs, ${result.bytes} bytes; the loop read ${loop.result} bytes of ${urls.length} files`);
      }
      crawled[i].push(seconds);
      downloaded = result.bytes;
      line.push(`${target.name} ${seconds.toFixed(2)} s`);
    }
    console.log(line.join(', '));
  }
  console.log(`${urls.length} coubs × ${AUDIO_BYTES / 1000} KB, concurrency ${CONCURRENCY}, median of ${RUNS} runs; crawler in-process via crawl()`);
  console.log(`bare fetch loop:  ${median(bare).toFixed(2)} s`);
  for (const [i, target] of TARGETS.entries()) {
    const ratio = median(crawled[i]) / median(bare);
    console.log(`${(target.name + ':').padEnd(17)} ${median(crawled[i]).toFixed(2)} s  ratio ${ratio.toFixed(2)}× (target ≤ 1.5×) ${ratio <= 1.5 ? 'OK' : 'OVER'}  [${target.dir}]`);
  }
  console.log(`RSS: ${mb(baselineRss)} before, peak ${mb(peakRss)} while crawling (+${mb(peakRss - baselineRss)}) for ${mb(downloaded)} downloaded per run`);
} finally {
  host.stop();
}
