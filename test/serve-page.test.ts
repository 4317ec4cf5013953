/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { chromiumMissing, launchChromium, RequestRecorder } from './helpers/browser.js';
import { FIXTURES } from './helpers/cli.js';
import { REFERENCE_ENCODER, referenceModelDir } from './helpers/model-dir.js';
import { startServe, type ServeProcess } from './helpers/serve.js';
import { scratchDir } from './helpers/scratch.js';

// The page of `boiler serve`, driven in a real chromium against the real server over the fixtures.
// Each step waits for what the page shows (a result, a pressed button, a tooltip), never for a time.

const NOISE_2 = join(FIXTURES, 'media', 'noise-2.m4a');
const WAIT = { timeout: 30_000 };

/** The figures of a short training run, as boiler train writes them beside its checkpoint. */
function metricsLines(steps: number): string {
  return Array.from({ length: steps }, (_, i) => {
    const step = i + 1;
    const recon = 2.2 * Math.exp(-step / 8) + 0.1;
    return JSON.stringify({ epoch: Math.ceil(step / 5), step, loss: recon + 0.08, recon, latent: 0.08, codesTop: 1, codesBottom: 7 + step, perplexityTop: 1, perplexityBottom: 3 + step / 2, lr: 0.00012 });
  }).join('\n');
}

const resultTitles = (page: Page) => page.$$eval('[data-testid=result-title]', (titles) => titles.map((title) => title.textContent));

/** Waits until the page shows the results of a search for `query` (a file's name or an indexed clip's title). */
async function resultsFor(page: Page, query: string) {
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid=query-name]')?.textContent === expected && document.querySelector('#results-panel')?.getAttribute('aria-busy') === 'false',
    WAIT,
    query,
  );
}

/** Chooses a file in the upload input and waits for its results. */
async function searchWithFile(page: Page, path: string, name: string) {
  const input = await page.$('input[data-testid=upload]');
  await input!.uploadFile(path);
  await resultsFor(page, name);
}

/** How many pixels of the canvas (or of the first canvas under `selector`) are not transparent. */
function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const { width, height } = canvas as HTMLCanvasElement;
    const alpha = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, width, height).data;
    let painted = 0;
    for (let i = 3; i < alpha.length; i += 4) if (alpha[i] !== 0) painted++;
    return painted;
  });
}

async function expectNoHorizontalScroll(page: Page, width: number) {
  await page.setViewport({ width, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  assert.ok(scrollWidth <= clientWidth, `at ${width} px wide the page scrolls sideways: ${scrollWidth} > ${clientWidth}`);
}

const missing = chromiumMissing();

describe('the page of boiler serve, in chromium', { skip: missing }, () => {
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  const recorder = new RequestRecorder();

  before(async () => {
    const root = scratchDir('boiler-page-');
    const modelDir = await referenceModelDir(root);
    writeFileSync(join(root, 'save', 'metrics.jsonl'), metricsLines(20));
    [server, browser] = await Promise.all([startServe(['--model-dir', modelDir]), launchChromium()]);
    page = await recorder.page(browser);
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${server.url}/`);
  });
  after(async () => {
    await browser?.close();
    server?.child.kill('SIGKILL');
  });

  test('the header names the model and links to the map, the training curves and the API docs', async () => {
    await page.waitForFunction((encoder) => document.querySelector('[data-testid=model]')!.textContent!.startsWith(encoder), WAIT, REFERENCE_ENCODER);
    assert.equal(await page.$eval('[data-testid=model]', (model) => model.textContent), `${REFERENCE_ENCODER} · 12 clips`);
    await page.waitForSelector('a[href="/training"]:not([hidden])', WAIT);
    const links = await page.$$eval('header nav a:not([hidden])', (anchors) => anchors.map((a) => a.getAttribute('href')));
    assert.deepEqual(links, ['#map-panel', '/training', '/docs']);
  });

  test('a file chosen in the upload input is searched at once: noise finds noise, and every result plays', async () => {
    await searchWithFile(page, NOISE_2, 'noise-2.m4a');
    assert.match(await page.$eval('[data-testid=query-detail]', (detail) => detail.textContent!), /\d+\.\d s of audio embedded/);
    const titles = await resultTitles(page);
    assert.equal(titles.length, 12);
    assert.deepEqual(titles.slice(0, 3).sort(), ['noise-1', 'noise-2', 'noise-3'], `results: ${titles.join(', ')}`);
    const distances = await page.$$eval('[data-testid=distance]', (all) => all.map((distance) => distance.textContent));
    for (const distance of distances) assert.match(distance!, /^distance \d\.\d{3}$/);
    assert.deepEqual(await page.$$eval('[data-testid=result] .rank', (ranks) => ranks.map((rank) => rank.textContent)), titles.map((_, i) => String(i + 1)));
    // Each result's audio loads its metadata from GET /clips/ID/audio, and none fails.
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLAudioElement>('[data-testid=result-audio]')].every((audio) => audio.readyState >= 1 || audio.error), WAIT);
    const audio = await page.$$eval('[data-testid=result-audio]', (all) => all.map((a) => ({ src: (a as HTMLAudioElement).src, error: (a as HTMLAudioElement).error?.message ?? null, duration: (a as HTMLAudioElement).duration })));
    for (const one of audio) {
      assert.equal(one.error, null, `${one.src} failed to load`);
      assert.ok(one.duration > 0, `${one.src} has no duration`);
    }
  });

  test('a thumbs up is recorded with the upload it answered (GET /feedback has the line) and shows pressed', async () => {
    const second = (await resultTitles(page))[1];
    const results = await page.$$('[data-testid=result]');
    const resultId = await results[1].evaluate((item) => (item as HTMLElement).dataset.id);
    await (await results[1].$('[data-testid=feedback-up]'))!.click();
    await page.waitForSelector('[data-testid=result]:nth-child(2) [data-testid=feedback-up][aria-pressed=true]', WAIT);
    assert.equal(await results[1].$eval('[data-testid=feedback-down]', (down) => down.getAttribute('aria-pressed')), 'false');
    const lines = (await (await fetch(`${server.url}/feedback`)).text()).trim().split('\n').map((line) => JSON.parse(line));
    const vote = lines.find((line) => line.result === resultId);
    assert.ok(vote, `no vote for ${second} (${resultId}) in ${JSON.stringify(lines)}`);
    assert.equal(vote.vote, 'up');
    assert.equal(vote.rank, 2);
    assert.equal(vote.query.upload, 'noise-2.m4a');
    assert.match(vote.query.sha256, /^[0-9a-f]{64}$/);
  });

  test('"More like this" searches from that clip, which its results leave out', async () => {
    const results = await page.$$('[data-testid=result]');
    const title = await results[4].$eval('[data-testid=result-title]', (t) => t.textContent!);
    await (await results[4].$('[data-testid=more-like-this]'))!.click();
    await resultsFor(page, title);
    const titles = await resultTitles(page);
    assert.equal(titles.length, 11, 'the other 11 clips');
    assert.ok(!titles.includes(title), `${title} is in its own results: ${titles.join(', ')}`);
  });

  test('the clip search lists matching clips as you type, and picking one searches from it', async () => {
    await page.click('[data-testid=clip-search]');
    await page.keyboard.type('swee');
    await page.waitForFunction(() => document.querySelectorAll('#clip-options [role=option][data-id]').length === 3, WAIT);
    const options = await page.$$eval('#clip-options [role=option][data-id]', (all) => all.map((option) => option.getAttribute('data-title')));
    assert.deepEqual(options, ['sweep-1', 'sweep-2', 'sweep-3']);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await resultsFor(page, 'sweep-2');
    assert.equal(await page.$eval('[data-testid=clip-search]', (input) => input.getAttribute('aria-expanded')), 'false');
  });

  test("Record, then Stop, searches with the recording (from chromium's fake microphone)", async () => {
    await page.click('[data-testid=record]');
    await page.waitForFunction(() => /^Stop \([1-9]/.test(document.querySelector('#record-label')!.textContent!), WAIT);
    assert.equal(await page.$eval('[data-testid=record]', (button) => button.getAttribute('aria-pressed')), 'true');
    await page.click('[data-testid=record]');
    await page.waitForFunction(
      () => /^recording\.(webm|ogg|m4a)$/.test(document.querySelector('[data-testid=query-name]')?.textContent ?? '') && document.querySelector('#results-panel')?.getAttribute('aria-busy') === 'false',
      WAIT,
    );
    assert.equal(await page.$eval('[data-testid=error]', (error) => error.textContent), '');
    assert.equal((await resultTitles(page)).length, 12);
  });

  test('the map draws every clip; hovering a point shows its title, clicking it searches from it, and so do the arrow keys and Enter', async () => {
    await page.waitForFunction(() => window.boilerMap.count === 12 && window.boilerMap.stats.paints > 0, WAIT);
    assert.ok((await paintedPixels(page, '[data-testid=map]')) > 12 * 20, 'the map has points');
    const hovered = await page.evaluate(() => window.boilerMap.screenPointOf(4));
    await page.mouse.move(hovered.x, hovered.y);
    await page.waitForSelector('[data-testid=map-tooltip]:not([hidden])', WAIT);
    const tooltip = await page.$eval('[data-testid=map-tooltip]', (tip) => tip.textContent);
    const clips = (await (await fetch(`${server.url}/map`)).json()) as { ids: string[]; titles: string[] };
    assert.equal(tooltip, clips.titles[4]);
    await page.mouse.click(hovered.x, hovered.y);
    await resultsFor(page, clips.titles[4]);
    assert.match(await page.$eval('[data-testid=map-audio]', (audio) => (audio as HTMLAudioElement).src), new RegExp(`/clips/${encodeURIComponent(clips.ids[4])}/audio$`));

    // The keys: Escape lets go of the clicked point, the first arrow takes the one nearest the centre,
    // the next ones step to a neighbour, until the highlighted clip is another than the last query.
    await page.mouse.move(0, 0);
    await page.focus('[data-testid=map]');
    await page.keyboard.press('Escape');
    let chosen = clips.titles[4];
    for (const key of ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp', 'ArrowRight'] as const) {
      await page.keyboard.press(key);
      chosen = await page.$eval('[data-testid=map-tooltip]:not([hidden]) strong', (title) => title.textContent!);
      if (chosen !== clips.titles[4]) break;
    }
    assert.notEqual(chosen, clips.titles[4], 'the arrow keys reached another clip');
    await page.keyboard.press('Enter');
    await resultsFor(page, chosen);
  });

  test('at 100,000 points the map draws them once, and hovering looks at a few of them through its grid, not all', async () => {
    const before = await page.evaluate(() => {
      // Inside the page, with no named helper (the test's compiler would wrap one in a helper the page lacks).
      const ids = Array.from({ length: 100_000 }, (_, i) => `clip-${i}`);
      const x = ids.map((_, i) => (i * 0.6180339887) % 1);
      const y = ids.map((_, i) => (i * 0.7548776662 + Math.abs(Math.sin(i))) % 1);
      window.boilerMap.load({ ids, titles: ids, x, y, label: ids.map((_, i) => i % 5), labels: ['a', 'b', 'c', 'd', 'e'], labelSource: 'labels file test.csv' });
      return { ...window.boilerMap.stats };
    });
    await page.waitForFunction((renders) => window.boilerMap.stats.baseRenders > renders, WAIT, before.baseRenders);
    const drawn = await page.evaluate(() => ({ ...window.boilerMap.stats }));
    assert.ok(drawn.lastBaseRenderMs < 1000, `drawing 100,000 points took ${drawn.lastBaseRenderMs} ms`);
    assert.ok((await paintedPixels(page, '[data-testid=map]')) > 10_000, 'the points are drawn');
    const box = (await (await page.$('[data-testid=map]'))!.boundingBox())!;
    const moves = 40;
    for (let i = 0; i < moves; i++) await page.mouse.move(box.x + (box.width * (i + 0.5)) / moves, box.y + box.height * (0.2 + (0.6 * i) / moves));
    await page.waitForFunction((lookups) => window.boilerMap.stats.lookups >= lookups, WAIT, drawn.lookups + moves);
    const hovered = await page.evaluate(() => ({ ...window.boilerMap.stats }));
    assert.equal(hovered.baseRenders, drawn.baseRenders, 'a mouse move redrew every point');
    assert.ok(hovered.maxLookupVisited < 2000, `a hover looked at ${hovered.maxLookupVisited} points`);
    assert.match(await page.$eval('[data-testid=map-legend]', (legend) => legend.textContent!), /a \(20,000\).*labels file test\.csv/);
  });

  test('on a phone the results and the map stack, with nothing scrolling sideways, from 390 down to 360 px', async () => {
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await page.goto(`${server.url}/`);
    await searchWithFile(page, NOISE_2, 'noise-2.m4a');
    await page.waitForFunction(() => window.boilerMap.count === 12, WAIT);
    const results = (await (await page.$('#results-panel'))!.boundingBox())!;
    const map = (await (await page.$('#map-panel'))!.boundingBox())!;
    assert.ok(map.y >= results.y + results.height, 'the map comes below the results');
    await expectNoHorizontalScroll(page, 390);
    await expectNoHorizontalScroll(page, 360);
  });

  test('/docs is Swagger UI over the API, and its "try it out" calls the server', async () => {
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('.opblock', WAIT);
    const paths = await page.$$eval('.opblock-summary-path', (all) => all.map((path) => path.getAttribute('data-path')));
    for (const path of ['/health', '/nearest/audio', '/nearest/clip/{id}', '/clips', '/feedback', '/map']) assert.ok(paths.includes(path), `${path} is not among ${paths.join(', ')}`);
    const health = '.opblock-get:has(.opblock-summary-path[data-path="/health"])';
    await page.click(`${health} .opblock-summary-control`);
    const button = (await page.waitForSelector(`${health} .try-out__btn, ${health} .execute`, WAIT))!;
    if (await button.evaluate((b) => b.textContent!.includes('Try it out'))) await button.click();
    await page.click(`${health} .execute`);
    const status = (await page.waitForSelector(`${health} .live-responses-table tbody .response-col_status`, WAIT))!;
    assert.equal(await status.evaluate((cell) => cell.textContent!.trim()), '200');
  });

  test('/training plots the losses, the codes used and the perplexity over steps, with a way back', async () => {
    await page.goto(`${server.url}/training`);
    await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length === 3, WAIT);
    for (const chart of ['losses', 'codes', 'perplexity']) {
      assert.ok((await paintedPixels(page, `[data-testid=chart-${chart}] canvas`)) > 500, `the ${chart} chart is drawn`);
    }
    assert.match(await page.$eval('[data-testid=checkpoint]', (line) => line.textContent!), /20 steps, epoch 4$/);
    assert.equal(await page.$eval('[data-testid=back]', (back) => back.getAttribute('href')), '/');
  });

  test('no request left 127.0.0.1, and the pages threw no error', () => {
    assert.ok(recorder.urls.length > 20, `recorded ${recorder.urls.length} requests`);
    assert.deepEqual(recorder.outside(), []);
    assert.deepEqual(recorder.pageErrors, []);
  });
});
