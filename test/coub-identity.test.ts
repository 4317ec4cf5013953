import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clipIdentity, readCrawlPermalinks } from '../src/search/coub.js';
import { scratchDir } from './helpers/scratch.js';

const isCoub = (fileName: string, crawled?: Set<string>) => clipIdentity(fileName, crawled).label.startsWith('https://coub.com/view/');

test('without a crawl manifest, words and numbers are local files, not coubs', () => {
  for (const name of ['silent.wav', 'noise.wav', 'beat.wav', 'sweep.wav', 'kick.wav', 'track.wav', '20240101.wav', '1234.wav']) {
    assert.deepEqual(clipIdentity(name, undefined), { coubId: name, label: name }, name);
  }
});

test('without a crawl manifest, a stem shaped like a permalink (base 36, digits and letters) is that coub', () => {
  for (const permalink of ['1dnm2b', '2a3b4c', 'ab12cd', 'c0001x', '2abc9x', '1a2b']) {
    assert.deepEqual(clipIdentity(`${permalink}.wav`, undefined), { coubId: permalink, label: `https://coub.com/view/${permalink}` });
  }
  for (const notOne of ['1DNM2B.wav', 'a1b.wav', 'abcdef123456.wav', 'tone-1.wav', 'beat_2.wav']) assert.ok(!isCoub(notOne), notOne);
});

test("with a crawl manifest, the manifest decides, whatever the stem's shape", () => {
  const crawl = scratchDir('boiler-coub-identity-');
  const wavDir = join(crawl, 'wav');
  mkdirSync(wavDir);
  writeFileSync(join(crawl, 'manifest.jsonl'), ['silent', 'abcdef'].map((permalink) => JSON.stringify({ permalink, status: 'ok' })).join('\n'));
  const crawled = readCrawlPermalinks(wavDir);
  assert.ok(isCoub('silent.wav', crawled), 'a listed word is a coub');
  assert.ok(isCoub('abcdef.wav', crawled));
  assert.ok(!isCoub('1dnm2b.wav', crawled), 'a permalink-shaped stem the crawl did not list is not');
});
