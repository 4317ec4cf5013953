import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTimelinePage, type Coub } from '../src/crawl/api.js';
import { crawl, type CrawlOptions } from '../src/crawl/crawl.js';
import { estimateCoubs } from '../src/crawl/estimate.js';
import { Manifest, type ManifestEntry } from '../src/crawl/crawl-manifest.js';
import { chooseAudio, chooseVideo } from '../src/crawl/media.js';
import { backoffDelay, parseRetryAfter } from '../src/crawl/retry.js';
import { UserError } from '../src/errors.js';
import { FILE_ONLY, HIGH, MED, NO_AUDIO_ENTRY, SILENT, manyCoubs } from './fake-coub/catalog.js';
import { assertSaved, readManifest, temporaries, temporaryDir } from './fake-coub/files.js';
import { startFakeCoub, type FakeCoubHost } from './fake-coub/server.js';

/** Fast retries: the back-off is a millisecond, so only a Retry-After can make a test wait. */
function options(out: string, host: FakeCoubHost, over: Partial<CrawlOptions> = {}): CrawlOptions {
  return {
    out,
    apiBase: host.apiBase,
    categories: ['music'],
    period: 'monthly',
    perPage: 2,
    concurrency: 3,
    video: false,
    retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 10 },
    timeoutMs: 10_000,
    ...over,
  };
}

function mediaRequests(host: FakeCoubHost, from = 0): string[] {
  return host.requests.slice(from).filter((r) => r.path.startsWith('/media/')).map((r) => r.path);
}

test('audio is html5 high, else med, else audio_file_url, with the URL extension; none without sound', () => {
  const coub = (fileVersions: unknown, extra: object = {}) => ({ permalink: 'x', title: '', file_versions: fileVersions, ...extra }) as Coub;
  const html5 = { audio: { high: { url: 'https://c/high_1.mp3' }, med: { url: 'https://c/med_1.m4a' } }, video: { med: { url: 'https://c/v.mp4?x=1' } } };
  assert.deepEqual(chooseAudio(coub({ html5 }, { audio_file_url: 'https://c/low.mp3' })), { url: 'https://c/high_1.mp3', ext: 'mp3' });
  assert.deepEqual(chooseAudio(coub({ html5: { audio: { med: html5.audio.med } } })), { url: 'https://c/med_1.m4a', ext: 'm4a' });
  assert.deepEqual(chooseAudio(coub({}, { audio_file_url: 'https://c/low_audio' })), { url: 'https://c/low_audio', ext: 'mp3' });
  assert.equal(chooseAudio(coub({ html5 }, { has_sound: false })), undefined);
  assert.equal(chooseAudio(coub({ html5: { video: html5.video } })), undefined);
  assert.deepEqual(chooseVideo(coub({ html5 })), { url: 'https://c/v.mp4?x=1', ext: 'mp4' });
});

test('back-off doubles per retry within its jitter band and stops at the cap; Retry-After reads seconds and dates', () => {
  const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0)), [50, 100, 200, 400, 500]);
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1)), [100, 200, 400, 800, 1000]);
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(10_000 + 7000).toUTCString(), 10_000), 7000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('a timeline answer of the wrong shape, or a permalink that would name a path, is rejected with the field named', () => {
  assert.throws(() => readTimelinePage({ coubs: [] }), /total_pages/);
  assert.throws(() => readTimelinePage({ total_pages: 1, items: [] }), /"coubs"/);
  assert.throws(() => readTimelinePage({ total_pages: 1, coubs: [{ permalink: '../../etc/passwd' }] }), /coubs\[0\]\.permalink/);
  const page = readTimelinePage({ page: 2, total_pages: 3, next: 77, coubs: [{ permalink: 'ab_C-1', title: null }] });
  assert.deepEqual([page.page, page.totalPages, page.next, page.coubs[0].title], [2, 3, 77, '']);
});

test('the coub estimate uses known page counts, guesses the rest from them, and respects --pages and --limit', () => {
  assert.equal(estimateCoubs({ categories: 2, pageTotals: [], perPage: 25 }), 50);
  assert.equal(estimateCoubs({ categories: 3, pageTotals: [4], perPage: 10 }), 120);
  assert.equal(estimateCoubs({ categories: 2, pageTotals: [8, 2], maxPages: 3, perPage: 10 }), 50);
  assert.equal(estimateCoubs({ categories: 2, pageTotals: [8], perPage: 25, limit: 30 }), 30);
});

test('the manifest drops a line cut short by a kill, appends after it, and close() keeps one line per coub', async () => {
  const dir = temporaryDir();
  const path = join(dir, 'manifest.jsonl');
  const entry = (permalink: string, status: ManifestEntry['status']): ManifestEntry => ({
    permalink,
    url: `https://coub.com/view/${permalink}`,
    title: permalink,
    category: 'music',
    audio: status === 'ok' ? `audio/${permalink}.mp3` : null,
    video: null,
    status,
  });
  writeFileSync(path, JSON.stringify(entry('a', 'ok')) + '\n' + JSON.stringify(entry('b', 'failed')) + '\n{"permalink":"c","ur');
  const manifest = await Manifest.open(path);
  assert.equal(manifest.size, 2);
  assert.equal(manifest.get('b')?.status, 'failed');
  await manifest.append(entry('b', 'ok'));
  await manifest.append(entry('c', 'no-audio'));
  await manifest.close();
  assert.deepEqual(
    readManifest(dir).map((e) => [e.permalink, e.status]),
    [
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'no-audio'],
    ],
  );
  writeFileSync(path, 'not json\n');
  await assert.rejects(Manifest.open(path), (error) => error instanceof UserError && /line 1 is not a manifest entry/.test(error.message));
});

test('a crawl saves each coub once across categories, byte for byte, paging with anchors', async (t) => {
  const late = manyCoubs('late', 2);
  const host = await startFakeCoub({
    timelines: { music: [HIGH, MED, FILE_ONLY, SILENT, NO_AUDIO_ENTRY], anime: [MED, HIGH, ...manyCoubs('anime', 2)] },
    // Hot coubs that arrive after page 1: a crawler paging without anchors would meet page 1's coubs again and miss others.
    arrivals: { music: late },
  });
  t.after(() => host.close());
  const out = temporaryDir();
  const summary = await crawl(options(out, host, { categories: ['music', 'anime'], video: true }));

  assert.deepEqual([summary.coubs, summary.new, summary.had, summary.noAudio, summary.failed], [7, 5, 0, 2, 0]);
  const manifest = readManifest(out);
  assert.deepEqual(
    manifest.map((e) => e.permalink).sort(),
    [HIGH, MED, FILE_ONLY, SILENT, NO_AUDIO_ENTRY, ...manyCoubs('anime', 2)].map((s) => s.permalink).sort(),
  );
  for (const spec of [HIGH, MED, FILE_ONLY, SILENT, NO_AUDIO_ENTRY]) assertSaved(out, spec, { video: true });
  const high = manifest.find((e) => e.permalink === HIGH.permalink);
  assert.deepEqual(high, {
    permalink: HIGH.permalink,
    url: `https://coub.com/view/${HIGH.permalink}`,
    title: HIGH.title,
    category: 'music',
    duration: 9.36,
    audio: `audio/${HIGH.permalink}.mp3`,
    video: `video/${HIGH.permalink}.mp4`,
    status: 'ok',
  });
  assert.equal(manifest.find((e) => e.permalink === MED.permalink)?.audio, `audio/${MED.permalink}.m4a`);
  assert.equal('duration' in manifest.find((e) => e.permalink === FILE_ONLY.permalink)!, false);
  for (const permalink of [SILENT.permalink, NO_AUDIO_ENTRY.permalink]) {
    const entry = manifest.find((e) => e.permalink === permalink)!;
    assert.deepEqual([entry.status, entry.audio, entry.video], ['no-audio', null, `video/${permalink}.mp4`]);
  }
  // Each media file was fetched once although HIGH and MED are in both categories.
  const media = mediaRequests(host);
  assert.equal(new Set(media).size, media.length);
  const pages = host.requests.filter((r) => r.path === '/api/v2/timeline/hot/music/monthly').map((r) => r.query);
  assert.deepEqual(
    pages.map((q) => [q.page, q.per_page, q.anchor]),
    [
      ['1', '2', undefined],
      ['2', '2', '84085655'],
      ['3', '2', '84085657'],
    ],
  );
  assert.deepEqual(temporaries(out), []);
});

test('a second run downloads nothing and counts every coub as already had', async (t) => {
  const host = await startFakeCoub({ timelines: { music: [HIGH, MED, SILENT] } });
  t.after(() => host.close());
  const out = temporaryDir();
  await crawl(options(out, host));
  const before = host.requests.length;
  const again = await crawl(options(out, host));
  assert.deepEqual([again.new, again.had, again.noAudio, again.failed, again.bytes], [0, 3, 0, 0, 0]);
  assert.deepEqual(mediaRequests(host, before), []);
  assert.equal(readManifest(out).length, 3);
});

test('500s, resets mid-body, short bodies and malformed JSON are retried until the files are whole', async (t) => {
  const coubs = manyCoubs('f', 6);
  const host = await startFakeCoub({
    timelines: { music: coubs },
    faults: [
      { match: /music\/monthly\?page=2/, times: 2, kind: { type: 'status', status: 500 } },
      { match: /music\/monthly\?page=3/, times: 1, kind: { type: 'malformed' } },
      { match: /\/media\/f0\//, times: 2, kind: { type: 'reset' } },
      { match: /\/media\/f1\//, times: 1, kind: { type: 'short' } },
      { match: /\/media\/f2\//, times: 1, kind: { type: 'status', status: 503 } },
    ],
  });
  t.after(() => host.close());
  const out = temporaryDir();
  const summary = await crawl(options(out, host));
  assert.deepEqual([summary.new, summary.failed], [6, 0]);
  for (const spec of coubs) assertSaved(out, spec, { video: false });
  const faults = host.requests.filter((r) => r.fault).map((r) => r.fault);
  assert.deepEqual(faults.sort(), ['malformed', 'reset', 'reset', 'short', 'status', 'status', 'status']);
  assert.deepEqual(temporaries(out), []);
});

test('a 429 with Retry-After holds back the next request for as long as it says, though the back-off is 1 ms', async (t) => {
  const host = await startFakeCoub({
    timelines: { music: manyCoubs('r', 2) },
    faults: [{ match: /\/media\/r0\//, times: 1, kind: { type: 'retry-after', seconds: 1 } }],
  });
  t.after(() => host.close());
  const out = temporaryDir();
  const summary = await crawl(options(out, host, { concurrency: 1 }));
  assert.equal(summary.new, 2);
  const limited = host.requests.findIndex((r) => r.status === 429);
  assert.ok(limited >= 0);
  const next = host.requests[limited + 1];
  assert.ok(next.at - host.requests[limited].at >= 1000, `waited ${next.at - host.requests[limited].at} ms`);
});

test('a download that keeps failing is listed as failed with its reason, the crawl goes on, and a rerun completes it', async (t) => {
  const coubs = manyCoubs('p', 4);
  const host = await startFakeCoub({
    timelines: { music: coubs },
    faults: [{ match: /\/media\/p1\//, times: 4, kind: { type: 'status', status: 502 } }],
  });
  t.after(() => host.close());
  const out = temporaryDir();
  const first = await crawl(options(out, host));
  assert.deepEqual([first.new, first.failed], [3, 1]);
  assert.deepEqual(first.failures, [{ permalink: 'p1', reason: 'audio: HTTP 502 Bad Gateway (after 4 attempts)' }]);
  const failed = readManifest(out).find((e) => e.permalink === 'p1');
  assert.deepEqual([failed?.status, failed?.audio, failed?.reason], ['failed', null, 'audio: HTTP 502 Bad Gateway (after 4 attempts)']);
  assert.equal(readdirSync(join(out, 'audio')).includes('p1.mp3'), false);
  assert.deepEqual(temporaries(out), []);

  const second = await crawl(options(out, host));
  assert.deepEqual([second.new, second.had, second.failed], [1, 3, 0]);
  assertSaved(out, coubs[1], { video: false });
  const manifest = readManifest(out);
  assert.deepEqual(
    manifest.map((e) => [e.permalink, e.status]).sort(),
    coubs.map((c) => [c.permalink, 'ok']),
    'one line per coub, the failure superseded',
  );
});

test('no more than --concurrency downloads run at once, and they do overlap', async (t) => {
  const host = await startFakeCoub({ timelines: { music: manyCoubs('c', 12) }, holdMedia: true });
  t.after(() => host.close());
  const run = crawl(options(temporaryDir(), host, { concurrency: 3, perPage: 5, video: true }));
  // The server answers no download until three are waiting at once.
  await host.mediaInFlight(3);
  host.releaseMedia();
  const summary = await run;
  assert.equal(summary.new, 12);
  assert.equal(host.maxConcurrentMedia, 3);
});

test('--pages and --limit stop the walk', async (t) => {
  const host = await startFakeCoub({ timelines: { music: manyCoubs('m', 10), anime: manyCoubs('a', 10) } });
  t.after(() => host.close());
  const paged = await crawl(options(temporaryDir(), host, { categories: ['music', 'anime'], pages: 2 }));
  assert.equal(paged.coubs, 8);
  const limited = await crawl(options(temporaryDir(), host, { categories: ['music', 'anime'], limit: 13 }));
  assert.equal(limited.coubs, 13);
});

test('an API answering garbage or the wrong shape is one UserError; what was saved stays whole and listed', async (t) => {
  const coubs = manyCoubs('g', 6);
  const host = await startFakeCoub({
    timelines: { music: coubs, anime: coubs },
    faults: [
      { match: /music\/monthly\?page=2/, times: 100, kind: { type: 'malformed' } },
      { match: /anime\/monthly\?page=1/, times: 1, kind: { type: 'shape' } },
    ],
  });
  t.after(() => host.close());
  const out = temporaryDir();
  await assert.rejects(
    crawl(options(out, host)),
    (error) =>
      error instanceof UserError &&
      /^the coub API did not answer http:\/\/127\.0\.0\.1:\d+\/api\/v2\/timeline\/hot\/music\/monthly\?page=2&per_page=2&anchor=\d+: answered non-JSON \(.*\) \(after 4 attempts\)\. Check --api-base/.test(
        error.message,
      ),
  );
  // The two downloads run in parallel, so the manifest lists them in the order they finished.
  assert.deepEqual(
    readManifest(out)
      .map((e) => e.permalink)
      .sort(),
    ['g0', 'g1'],
  );
  for (const spec of coubs.slice(0, 2)) assertSaved(out, spec, { video: false });
  assert.equal(existsSync(join(out, 'audio', 'g2.mp3')), false);
  await assert.rejects(
    crawl(options(temporaryDir(), host, { categories: ['anime'] })),
    (error) => error instanceof UserError && /unexpected shape: it has no "coubs" list/.test(error.message),
  );
});

test('a file that cannot be written stops the crawl with one UserError, after the coubs under way are listed', async (t) => {
  const coubs = manyCoubs('w', 5);
  const host = await startFakeCoub({ timelines: { music: coubs } });
  t.after(() => host.close());
  const out = temporaryDir();
  // A directory where w3's JSON should go: the rename onto it fails with EISDIR, which no retry fixes.
  mkdirSync(join(out, 'json', 'w3.json'), { recursive: true });
  await assert.rejects(
    crawl(options(out, host, { concurrency: 1 })),
    (error) => error instanceof UserError && /^cannot write into .*: EISDIR: .*w3\.json.*rerun/.test(error.message),
  );
  assert.deepEqual(
    readManifest(out).map((e) => e.permalink),
    ['w0', 'w1', 'w2'],
  );
  assert.equal(mediaRequests(host).some((path) => path.startsWith('/media/w4/')), false, 'no coub is started after the failure');
  assert.deepEqual(temporaries(out), []);
});
