import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createProgress } from '../src/cli/progress.js';

function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  Object.assign(stream, { isTTY, columns: 100 });
  return { stream, text: () => text };
}

test('off a terminal, progress prints plain lines with count, rate and status', async () => {
  const out = capture(false);
  const progress = createProgress({ label: 'convert', total: 4, unit: 'files', stream: out.stream, intervalSeconds: 0 });
  progress.tick(1, 'a.wav');
  progress.tick(3);
  progress.stop();
  await new Promise((r) => setImmediate(r));
  const lines = out.text().trim().split('\n');
  assert.equal(lines.length, 2, 'stop() does not repeat a line that already shows the final count');
  assert.match(lines[0], /^convert: 1\/4 files \([\d.]+\/s eta \d+s\) a\.wav$/);
  assert.match(lines[1], /^convert: 4\/4 files/);
  assert.ok(!out.text().includes('\u001b['), 'no terminal escapes in logs');
});

test('off a terminal, lines are throttled to the interval', async () => {
  const out = capture(false);
  const progress = createProgress({ label: 'x', total: 100, stream: out.stream, intervalSeconds: 3600 });
  for (let i = 0; i < 100; i++) progress.tick();
  progress.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(out.text().trim().split('\n').length, 1, 'only the final line');
});

test('on a terminal, progress draws a cli-progress bar', async () => {
  const out = capture(true);
  const progress = createProgress({ label: 'train', total: 2, unit: 'steps', stream: out.stream });
  progress.tick();
  progress.tick();
  progress.stop();
  await new Promise((r) => setImmediate(r));
  assert.match(out.text(), /train \[[█░]+\] 2\/2 steps/);
});
