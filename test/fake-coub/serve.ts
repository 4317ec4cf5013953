/**
 * Runs the fake coub host in a process of its own (for bench/crawl.bench.ts, so that serving does
 * not share the crawler's event loop or show in its memory): `<categories> <coubs per category>
 * <audio bytes>`. Prints `{"apiBase": …}` on one line, then serves until stdin closes.
 */
import { longMp3 } from './catalog.js';
import { startFakeCoub, type FakeCoubSpec } from './server.js';

const [categories, perCategory, audioBytes] = process.argv.slice(2);
const names = categories.split(',');

/** One buffer shared by every coub. */
const audio = longMp3(Number(audioBytes));

const timelines: Record<string, FakeCoubSpec[]> = {};
for (const name of names) {
  timelines[name] = Array.from({ length: Number(perCategory) }, (_, i) => ({ permalink: `${name}${i}`, duration: 9.5, audio: { high: audio } }));
}
const host = await startFakeCoub({ timelines });
process.stdout.write(JSON.stringify({ apiBase: host.apiBase }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void host.close());
