/**
 * Runs the fake coub host in a process of its own (for bench/crawl.bench.ts, so that serving does
 * not share the crawler's event loop or show in its memory): `<categories> <coubs per category>
 * <audio bytes>`. Prints `{"apiBase": …}` on one line, then serves until stdin closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/cli.js';
import { startFakeCoub, type FakeCoubSpec } from './server.js';

const [categories, perCategory, audioBytes] = process.argv.slice(2);
const names = categories.split(',');

/** Real mp3 frames repeated to the requested size, one buffer shared by every coub. */
const tone = readFileSync(join(FIXTURES, 'media', 'tone-3.mp3'));
const audio = Buffer.alloc(Number(audioBytes));
for (let at = 0; at < audio.length; at += tone.length) tone.copy(audio, at);

const timelines: Record<string, FakeCoubSpec[]> = {};
for (const name of names) {
  timelines[name] = Array.from({ length: Number(perCategory) }, (_, i) => ({ permalink: `${name}${i}`, duration: 9.5, audio: { high: audio } }));
}
const host = await startFakeCoub({ timelines });
process.stdout.write(JSON.stringify({ apiBase: host.apiBase }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void host.close());
