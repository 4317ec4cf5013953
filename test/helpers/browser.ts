/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { scratchDir } from './scratch.js';

/** Debian's chromium, which the browser tests drive (CI installs it: .ci/run). */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `chromium not found at ${CHROMIUM}: apt-get install chromium`;
}

/** A headless chromium with a fresh profile that reaches nothing on its own (no sync, updates or QUIC probes). */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: scratchDir('boiler-chromium-'),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      // A microphone that plays a beep, granted without asking, for the page's Record button.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
}

/** Debian's Firefox (ESR), for the page's smoke run in a second engine (CI installs it: .ci/run). */
export const FIREFOX = '/usr/bin/firefox-esr';

/** Why the Firefox run cannot happen here, or undefined when it can. */
export function firefoxMissing(): string | undefined {
  return existsSync(FIREFOX) ? undefined : `firefox not found at ${FIREFOX}: apt-get install firefox-esr`;
}

/** A headless Firefox driven over WebDriver BiDi, with a fresh profile that checks for nothing on its own. */
export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: scratchDir('boiler-firefox-'),
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'extensions.getAddons.cache.enabled': false,
    },
  });
}

/** URLs that never leave the browser. */
const LOCAL_SCHEMES = /^(data|blob|about):/;

/**
 * Every request the pages it watches make (documents, scripts, media, fetches), so that a test can
 * assert that none leaves 127.0.0.1; it also collects the pages' uncaught errors and console errors.
 */
export class RequestRecorder {
  readonly urls: string[] = [];
  readonly pageErrors: string[] = [];

  /** A new page of `browser`, watched from its first request. */
  async page(browser: Browser): Promise<Page> {
    const page = await browser.newPage();
    page.on('request', (request) => void this.urls.push(request.url()));
    page.on('pageerror', (error) => void this.pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(`console: ${message.text()} (${message.location().url ?? ''})`);
    });
    return page;
  }

  /** The requests that went anywhere but 127.0.0.1 (data:, blob: and about: URLs stay in the browser). */
  outside(): string[] {
    return this.urls.filter((url) => !LOCAL_SCHEMES.test(url) && new URL(url).hostname !== '127.0.0.1');
  }
}

/** What the page's map (src/server/web/map.js) exposes as window.boilerMap, for tests and benchmarks. */
export interface MapHandle {
  count: number;
  stats: { baseRenders: number; paints: number; lookups: number; maxLookupVisited: number; lastBaseRenderMs: number; lastPaintMs: number };
  screenPointOf(index: number): { x: number; y: number };
  load(map: unknown): void;
}
declare global {
  interface Window {
    boilerMap: MapHandle;
  }
}
