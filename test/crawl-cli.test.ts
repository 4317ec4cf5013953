import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HIGH, SILENT, expectedAudio, longMp3, manyCoubs } from './fake-coub/catalog.js';
import { assertSaved, readManifest, temporaries, temporaryDir } from './fake-coub/files.js';
import { startFakeCoub } from './fake-coub/server.js';
import { BOILER, ROOT, runBoiler } from './helpers/cli.js';

/** Fast retries for every CLI run: only Retry-After may make a test wait. */
const FAST = ['--retries', '3', '--retry-delay', '1'];

test('bad flag values are one line and exit 1: unknown category or period, --per-page outside 1..25', async () => {
  const cases: [string[], RegExp][] = [
    [['--categories', 'music,polka'], /unknown category 'polka'; choose from animals-pets, .*nsfw/],
    [['--period', 'yearly'], /Allowed choices are daily, weekly, monthly, quarter, half/],
    [['--per-page', '0'], /--per-page .* expected an integer from 1 to 25/],
    [['--per-page', '26'], /--per-page .* expected an integer from 1 to 25/],
    [['--api-base', 'ftp://coub.com'], /expected an http\(s\) URL/],
  ];
  const results = await Promise.all(cases.map(([flags]) => runBoiler(['crawl', '--out', temporaryDir(), ...flags])));
  for (const [i, [flags, message]] of cases.entries()) {
    const result = results[i];
    assert.equal(result.code, 1, flags.join(' '));
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, message);
  }
});

test('an unreachable API is one line naming the URL and --api-base, exit 1', async () => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  const result = await runBoiler(['crawl', '--out', temporaryDir(), '--categories', 'music', '--api-base', `http://127.0.0.1:${port}/api/v2`, ...FAST]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`^boiler: the coub API did not answer http://127.0.0.1:${port}/api/v2/timeline/hot/music/monthly\\?page=1&per_page=25: .*ECONNREFUSED.*Check --api-base`, 'm'));
  assert.equal(result.stderr.split('\n').filter((line) => line.startsWith('boiler:')).length, 1);
});

test('boiler crawl saves audio, prints progress, retries (--verbose) and the summary (and --json), exits 3 when a download fails for good', async (t) => {
  const coubs = [HIGH, SILENT, ...manyCoubs('k', 3)];
  const host = await startFakeCoub({
    timelines: { music: coubs },
    faults: [{ match: /\/media\/k2\//, times: 4, kind: { type: 'status', status: 500 } }],
  });
  t.after(() => host.close());
  const out = temporaryDir();
  const args = ['crawl', '--out', out, '--categories', 'music', '--per-page', '2', '--api-base', host.apiBase, ...FAST];
  const first = await runBoiler(['--verbose', ...args], { env: { BOILER_PROGRESS_INTERVAL: '0' } });
  assert.equal(first.code, 3, first.stderr);
  assert.match(first.stderr, /^retry 3 of http:\/\/127\.0\.0\.1:\d+\/media\/k2\/high\.\w+ in [\d.]+ s: HTTP 500 Internal Server Error$/m, '--verbose shows retries');
  assert.match(first.stderr, /^crawl: \d+\/\d+ coubs/m, 'progress lines');
  assert.match(first.stderr, /^crawl: 5 coubs: 3 new, 0 already had, 1 no-audio, 1 failed; 0\.\d MB in [\d.]+ s → .*manifest\.jsonl$/m);
  assert.match(first.stderr, /^ {2}failed k2: audio: HTTP 500 Internal Server Error \(after 4 attempts\)$/m);
  for (const spec of [HIGH, SILENT, ...manyCoubs('k', 2)]) assertSaved(out, spec, { video: false });

  const second = await runBoiler([...args, '--json']);
  assert.equal(second.code, 0, second.stderr);
  const summary = JSON.parse(second.stdout) as { coubs: number; new: number; had: number; noAudio: number; failed: number };
  assert.deepEqual([summary.coubs, summary.new, summary.had, summary.noAudio, summary.failed], [5, 1, 4, 0, 0]);
  assert.equal(readManifest(out).length, 5);
});

/** Polls until `check` holds, failing after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('killed with SIGKILL mid-download and rerun, the crawl completes without fetching a finished file again', async (t) => {
  // The three coubs that will be cut off have audio longer than a write batch, so that their half
  // bodies reach the disk.
  const coubs = manyCoubs('s', 24).map((spec, i) => ([9, 10, 11].includes(i) ? { ...spec, audio: { high: longMp3(1_200_000) } } : spec));
  const host = await startFakeCoub({
    timelines: { music: coubs.slice(0, 16), anime: coubs.slice(8) },
    // Coubs 9, 10 and 11 hang half-way through their audio: with --concurrency 3 the crawl is then
    // stuck mid-download, holding three half files, and is killed there.
    faults: [9, 10, 11].map((i) => ({ match: new RegExp(`/media/s${i}/high`), times: 1, kind: { type: 'stall' as const } })),
  });
  t.after(() => host.close());
  const out = temporaryDir();
  const args = ['crawl', '--out', out, '--categories', 'music,anime', '--per-page', '5', '--concurrency', '3', '--video', '--api-base', host.apiBase, ...FAST];

  const child = spawn(process.execPath, [BOILER, ...args], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await host.stalled(3);
  const halfFiles = () => temporaries(out).filter((name) => statSync(join(out, name)).size > 0);
  await until(() => halfFiles().length === 3, 10_000, 'three half-written temporary files');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  // What the kill left: finished files under their names, half files only under temporary names.
  const done = coubs.slice(0, 9);
  const finalNames = (sub: string) => readdirSync(join(out, sub)).filter((name) => !name.includes('.tmp-')).sort();
  assert.deepEqual(finalNames('audio'), done.map((c) => `${c.permalink}.${expectedAudio(c)?.ext}`).sort());
  assert.deepEqual(finalNames('video'), done.map((c) => `${c.permalink}.mp4`).sort());
  for (const spec of done) assertSaved(out, spec, { video: true });
  assert.deepEqual(readManifest(out).map((e) => e.permalink).sort(), done.map((c) => c.permalink).sort(), 'each finished coub was listed before the kill');
  const finishedPaths = new Set(done.flatMap((c) => [`/media/${c.permalink}/high.${expectedAudio(c)?.ext}`, `/media/${c.permalink}/video.mp4`]));

  const rerunFrom = host.requests.length;
  const rerun = await runBoiler(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /crawl: 24 coubs: \d+ new, \d+ already had, 0 no-audio, 0 failed/);
  const refetched = host.requests.slice(rerunFrom).filter((r) => finishedPaths.has(r.path));
  assert.deepEqual(refetched, [], 'no finished file is downloaded twice');

  const manifest = readManifest(out);
  assert.deepEqual(manifest.map((e) => e.permalink).sort(), coubs.map((c) => c.permalink).sort(), 'every coub listed, once');
  assert.ok(manifest.every((e) => e.status === 'ok' && e.video === `video/${e.permalink}.mp4`));
  for (const spec of coubs) assertSaved(out, spec, { video: true });
  assert.deepEqual(temporaries(out), [], 'the killed run’s half files are gone');
});
