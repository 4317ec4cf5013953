/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { firefoxMissing, launchFirefox, RequestRecorder } from './helpers/browser.js';
import { FIXTURES } from './helpers/cli.js';
import { referenceModelDir } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';
import { startServe, type ServeProcess } from './helpers/serve.js';

// The page's main path in a second engine: the chromium suite (serve-page.test.ts) covers the rest.
const WAIT = { timeout: 30_000 };
let server: ServeProcess;
let browser: Browser;
let page: Page;
const recorder = new RequestRecorder();
const missing = firefoxMissing();

// Bounded, so that a browser that hangs fails the run instead of holding it.
const LIMIT = { timeout: 120_000 };

before(async () => {
  if (missing) return;
  const modelDir = await referenceModelDir(scratchDir('boiler-page-firefox-'));
  [server, browser] = await Promise.all([startServe(['--model-dir', modelDir]), launchFirefox()]);
  page = await recorder.page(browser);
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${server.url}/`);
}, LIMIT);
after(async () => {
  server?.child.kill('SIGKILL');
  // Firefox's own shutdown can stall on a loaded machine; its process goes either way.
  await Promise.race([browser?.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  browser?.process()?.kill('SIGKILL');
}, LIMIT);

test('in Firefox: an upload finds noise first, every player loads, a vote is recorded, the map draws, nothing leaves 127.0.0.1', { skip: missing, ...LIMIT }, async () => {
  const input = await page.waitForSelector('input[data-testid=upload]', WAIT);
  await input!.uploadFile(join(FIXTURES, 'media', 'noise-2.m4a'));
  await page.waitForFunction(() => document.querySelector('[data-testid=query-name]')?.textContent === 'noise-2.m4a' && document.querySelector('#results-panel')?.getAttribute('aria-busy') === 'false', WAIT);
  const titles = await page.$$eval('[data-testid=result-title]', (all) => all.map((title) => title.textContent));
  assert.deepEqual(titles.slice(0, 3).sort(), ['noise-1', 'noise-2', 'noise-3'], `results: ${titles.join(', ')}`);

  await page.waitForFunction(() => [...document.querySelectorAll<HTMLAudioElement>('[data-testid=result-audio]')].every((audio) => audio.readyState >= 1 || audio.error), WAIT);
  const failed = await page.$$eval('[data-testid=result-audio]', (all) => all.filter((a) => (a as HTMLAudioElement).error || !((a as HTMLAudioElement).duration > 0)).map((a) => (a as HTMLAudioElement).src));
  assert.deepEqual(failed, []);

  await page.click('[data-testid=result]:nth-child(1) [data-testid=feedback-down]');
  await page.waitForSelector('[data-testid=result]:nth-child(1) [data-testid=feedback-down][aria-pressed=true]', WAIT);
  const votes = (await (await fetch(`${server.url}/feedback`)).text()).trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(votes.map((v) => [v.vote, v.rank, v.query.upload]), [['down', 1, 'noise-2.m4a']]);

  await page.waitForFunction(() => window.boilerMap?.count === 12, WAIT);
  const painted = await page.$eval('[data-testid=map]', (canvas) => {
    const { width, height } = canvas as HTMLCanvasElement;
    const alpha = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, width, height).data;
    return alpha.filter((value, i) => i % 4 === 3 && value !== 0).length;
  });
  assert.ok(painted > 0, 'the map drew no point');

  assert.deepEqual(recorder.outside(), []);
  assert.deepEqual(recorder.pageErrors, []);
});
