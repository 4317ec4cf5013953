/// <reference lib="dom" />
/**
 * The page's map (src/server/web/map.js) in headless chromium, at 10,000 and 100,000 clips: the
 * time of a full redraw (every point, on load, resize or zoom) and of one hover frame (a mouse
 * move onto another point: the drawn layer copied, the point looked up in the grid and ringed),
 * medians of the page's own script time, against the 16.7 ms a 60 Hz frame allows. The issue
 * asks the map to stay smooth at 100,000 clips.
 */
import type { Page } from 'puppeteer-core';
import { serveBenchModelDir, spawnServeProcess } from '../src/bench/serve-bench.js';
import { chromiumMissing, launchChromium, type MapHandle } from '../test/helpers/browser.js';
import { scratchDir } from '../test/helpers/scratch.js';

const SIZES = [10_000, 100_000];
const ZOOMS = 7;
const MOVES = 60;
const FRAME_MS = 1000 / 60;

type MapStats = MapHandle['stats'];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const stats = (page: Page) => page.evaluate(() => ({ ...window.boilerMap.stats }));

/** Waits for the map's next full redraw (or, with `paints`, its next frame) and gives its milliseconds. */
async function nextDraw(page: Page, before: MapStats, kind: 'baseRenders' | 'paints'): Promise<number> {
  await page.waitForFunction((field, count) => window.boilerMap.stats[field] > count, { timeout: 60_000 }, kind, before[kind]);
  const after = await stats(page);
  return kind === 'baseRenders' ? after.lastBaseRenderMs : after.lastPaintMs;
}

async function measure(page: Page, count: number): Promise<{ redrawMs: number; hoverMs: number; frames: number }> {
  let before = await stats(page);
  await page.evaluate((n) => {
    const ids = Array.from({ length: n }, (_, i) => `clip-${i}`);
    // Points spread as a low-discrepancy sequence, in five labelled groups: as dense as a real map.
    const x = ids.map((_, i) => (i * 0.6180339887) % 1);
    const y = ids.map((_, i) => (i * 0.7548776662 + Math.abs(Math.sin(i))) % 1);
    window.boilerMap.load({ ids, titles: ids, x, y, label: ids.map((_, i) => i % 5), labels: ['a', 'b', 'c', 'd', 'e'], labelSource: null });
  }, count);
  const redraws = [await nextDraw(page, before, 'baseRenders')];
  const box = (await (await page.$('[data-testid=map]'))!.boundingBox())!;
  const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  for (let i = 0; i < ZOOMS; i++) {
    before = await stats(page);
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.wheel({ deltaY: i % 2 ? 100 : -100 });
    redraws.push(await nextDraw(page, before, 'baseRenders'));
  }
  const hovers: number[] = [];
  for (let i = 0; i < MOVES; i++) {
    before = await stats(page);
    await page.mouse.move(box.x + (box.width * (i + 0.5)) / MOVES, box.y + box.height * (0.2 + (0.6 * i) / MOVES));
    // Each move looks its point up; a frame follows only when the hovered point changed.
    await page.waitForFunction((count) => window.boilerMap.stats.lookups > count, { timeout: 60_000 }, before.lookups);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const after = await stats(page);
    if (after.paints > before.paints) hovers.push(after.lastPaintMs);
  }
  if (hovers.length === 0) throw new Error(`none of ${MOVES} mouse moves over ${count} points changed the hovered point`);
  return { redrawMs: median(redraws), hoverMs: median(hovers), frames: hovers.length };
}

const missing = chromiumMissing();
if (missing) {
  console.log(`page map: not measured (${missing})`);
} else {
  const modelDir = serveBenchModelDir(scratchDir('boiler-bench-page-'));
  const [server, browser] = await Promise.all([spawnServeProcess(modelDir), launchChromium()]);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
    await page.goto(new URL('/', server.url).href);
    await page.waitForFunction(() => window.boilerMap?.stats.baseRenders > 0, { timeout: 60_000 });
    console.log(`page map in headless chromium, 1280×900 (medians of ${ZOOMS + 1} full redraws and of the frames of ${MOVES} mouse moves; a 60 Hz frame is ${FRAME_MS.toFixed(1)} ms)`);
    for (const count of SIZES) {
      const { redrawMs, hoverMs, frames } = await measure(page, count);
      const smooth = hoverMs < FRAME_MS ? 'within' : 'over';
      console.log(
        `  ${count.toLocaleString('en').padStart(7)} clips: full redraw ${redrawMs.toFixed(1).padStart(6)} ms, hover frame ${hoverMs.toFixed(2).padStart(5)} ms (${smooth} a frame; ${frames} frames)`,
      );
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}
