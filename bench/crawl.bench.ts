/**
 * boiler crawl against the fake coub host (its own process, on 127.0.0.1): 1,000 coubs with 200 KB
 * of audio each at concurrency 16, versus a bare loop that fetches the same 1,000 audio URLs with
 * the same concurrency and throws the bytes away (the baseline), and that loop writing each
 * body to a file (the disk's floor). The crawler runs in this process through its library
 * (crawl()), so that its resident memory can be sampled while it runs; it pages the timelines,
 * writes the JSON, streams each file to a temporary name and renames it, and keeps the manifest.
 * Target: crawl ≤ 1.5 × bare loop; peak RSS flat (far below the 200 MB downloaded).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pLimit from 'p-limit';
import { crawl } from '../src/crawl/crawl.js';
import { DEFAULT_RETRY } from '../src/crawl/retry.js';

const CATEGORIES = ['music', 'anime', 'movies', 'gaming'];
const PER_CATEGORY = 250;
const AUDIO_BYTES = 200_000;
const CONCURRENCY = 16;
const RUNS = 5;

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

/** Reads a fetched body to the end, handing each chunk to `sink`. */
async function drain(url: string, sink: (chunk: Uint8Array) => Promise<void> | void): Promise<number> {
  const reader = (await fetch(url)).body!.getReader();
  let bytes = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    bytes += chunk.value.byteLength;
    await sink(chunk.value);
  }
  return bytes;
}

/** The baseline: fetch each URL with the same concurrency and throw the bytes away. */
async function bareLoop(urls: string[]): Promise<number> {
  const limit = pLimit(CONCURRENCY);
  const sizes = await Promise.all(urls.map((url) => limit(() => drain(url, () => undefined))));
  return sizes.reduce((a, b) => a + b, 0);
}

/** The floor for a crawl to disk: the same loop writing each body to a file (no JSON, no rename, no manifest). */
async function bareLoopToFiles(urls: string[], dir: string): Promise<number> {
  const limit = pLimit(CONCURRENCY);
  const sizes = await Promise.all(
    urls.map((url, i) =>
      limit(async () => {
        const file = await open(join(dir, `${i}.mp3`), 'w');
        try {
          return await drain(url, (chunk) => file.write(chunk).then(() => undefined));
        } finally {
          await file.close();
        }
      }),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** tmpfs measures the crawler itself; the disk adds this machine's file system (ext4 on a shared virtual disk here). */
const TMPFS = existsSync('/dev/shm') ? '/dev/shm' : undefined;
const DISK = tmpdir();

interface Variant {
  name: string;
  /** Returns the bytes it fetched. */
  run: (urls: string[], apiBase: string) => Promise<number>;
  seconds: number[];
  /** CPU seconds (user + system, every thread of this process): steadier than wall time on a busy machine. */
  cpu: number[];
  /** The most resident memory above the starting point seen while it ran. */
  peakRss: number;
}

/** Runs `work` in a fresh directory under `parent`, removed afterwards. */
async function inFreshDir<T>(parent: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(parent, 'boiler-crawl-bench-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function crawlInto(dir: string, apiBase: string, expected: number): Promise<number> {
  const summary = await crawl({
    out: dir,
    apiBase,
    categories: CATEGORIES,
    period: 'monthly',
    perPage: 25,
    concurrency: CONCURRENCY,
    video: false,
    retry: DEFAULT_RETRY,
    timeoutMs: 120_000,
  });
  if (summary.new !== expected) throw new Error(`the crawl saved ${summary.new} coubs of ${expected}`);
  return summary.bytes;
}

const variant = (name: string, run: Variant['run']): Variant => ({ name, run, seconds: [], cpu: [], peakRss: 0 });
const bare = variant('bare fetch loop', (urls) => bareLoop(urls));
const bareToDisk = variant('bare fetch+write to disk', (urls) => inFreshDir(DISK, (dir) => bareLoopToFiles(urls, dir)));
const crawlTmpfs = TMPFS ? variant('crawl to tmpfs', (urls, apiBase) => inFreshDir(TMPFS, (dir) => crawlInto(dir, apiBase, urls.length))) : undefined;
const crawlDisk = variant('crawl to disk', (urls, apiBase) => inFreshDir(DISK, (dir) => crawlInto(dir, apiBase, urls.length)));
const variants = [bare, bareToDisk, ...(crawlTmpfs ? [crawlTmpfs] : []), crawlDisk];

const host = await startHost();
try {
  const urls = await audioUrls(host.apiBase);
  // Warm-up: connections, JIT, the fake host's caches.
  await bareLoop(urls.slice(0, 200));
  await inFreshDir(TMPFS ?? DISK, (dir) => crawlInto(dir, host.apiBase, urls.length));
  const expectedBytes = urls.length * AUDIO_BYTES;
  for (let run = 1; run <= RUNS; run++) {
    const line: string[] = [];
    for (const v of variants) {
      const start = process.memoryUsage.rss();
      const sampler = setInterval(() => (v.peakRss = Math.max(v.peakRss, process.memoryUsage.rss() - start)), 10);
      const started = performance.now();
      const cpu = process.cpuUsage();
      const bytes = await v.run(urls, host.apiBase);
      v.seconds.push((performance.now() - started) / 1000);
      const used = process.cpuUsage(cpu);
      v.cpu.push((used.user + used.system) / 1e6);
      clearInterval(sampler);
      if (bytes !== expectedBytes) throw new Error(`${v.name} fetched ${bytes} bytes, not ${expectedBytes}`);
      line.push(`${v.name} ${v.seconds[v.seconds.length - 1].toFixed(2)} s`);
    }
    console.log(`run ${run}: ${line.join(', ')}`);
  }
  console.log(`\n${urls.length} coubs × ${AUDIO_BYTES / 1000} KB (${mib(expectedBytes)}), concurrency ${CONCURRENCY}, median of ${RUNS} interleaved runs;`);
  console.log(`crawler in-process via crawl() (the library behind boiler crawl); fake host in its own process; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
  for (const v of variants) {
    console.log(`  ${v.name.padEnd(26)} ${median(v.seconds).toFixed(2).padStart(6)} s   CPU ${median(v.cpu).toFixed(2)} s   peak RSS +${mib(v.peakRss)}`);
  }
  const ratio = (a: Variant, b: Variant) => median(a.seconds) / median(b.seconds);
  const verdict = (r: number) => `${r.toFixed(2)}× ${r <= 1.5 ? 'OK' : 'OVER'} (target ≤ 1.5×)`;
  if (crawlTmpfs) console.log(`ratio crawl to tmpfs / bare fetch loop:        ${verdict(ratio(crawlTmpfs, bare))}`);
  console.log(`ratio crawl to disk / bare fetch loop:         ${verdict(ratio(crawlDisk, bare))}`);
  console.log(`ratio crawl to disk / bare fetch+write to disk: ${ratio(crawlDisk, bareToDisk).toFixed(2)}× (the crawler's own cost over the disk's)`);
} finally {
  host.stop();
}
