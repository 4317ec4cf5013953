/** Reading back what a crawl left in its --out directory. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from '../../src/crawl/crawl-manifest.js';
import { expectedAudio } from './catalog.js';
import { mediaBytes, type FakeCoubSpec } from './server.js';
import { scratchDir } from '../helpers/scratch.js';

export function temporaryDir(): string {
  return scratchDir('boiler-crawl-');
}

export function readManifest(out: string): ManifestEntry[] {
  const text = readFileSync(join(out, 'manifest.jsonl'), 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the manifest ends with a whole line');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ManifestEntry);
}

/** Files still under a temporary name (`.tmp-<pid>`) in audio/, video/ and json/. */
export function temporaries(out: string): string[] {
  return ['audio', 'video', 'json'].flatMap((sub) =>
    existsSync(join(out, sub)) ? readdirSync(join(out, sub)).filter((name) => /\.tmp-\d+$/.test(name)).map((name) => `${sub}/${name}`) : [],
  );
}

/** Asserts that the coub's saved audio (and video, when asked) are the bytes the fake host served, and its JSON is the API's. */
export function assertSaved(out: string, spec: FakeCoubSpec, options: { video: boolean }): void {
  const audio = expectedAudio(spec);
  if (audio !== undefined) {
    assert.ok(mediaBytes(audio.media).equals(readFileSync(join(out, 'audio', `${spec.permalink}.${audio.ext}`))), `${spec.permalink} audio`);
  }
  if (options.video && spec.video !== undefined) {
    assert.ok(mediaBytes(spec.video).equals(readFileSync(join(out, 'video', `${spec.permalink}.mp4`))), `${spec.permalink} video`);
  }
  const json = JSON.parse(readFileSync(join(out, 'json', `${spec.permalink}.json`), 'utf8')) as { permalink: string };
  assert.equal(json.permalink, spec.permalink);
}
