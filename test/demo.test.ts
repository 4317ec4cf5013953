import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBoiler } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

interface DemoJson {
  modelDir: string;
  neighbours: { rank: number; distance: number; coubId: string }[];
}

test('boiler demo runs convert → train → index → query offline, and a noise clip’s neighbours are the noise clips', async () => {
  const work = scratchDir('boiler-demo-test-');
  const result = await runBoiler(['demo', '--work-dir', work, '--json'], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, result.stderr);
  for (const stage of ['convert', 'train', 'index', 'query']) assert.match(result.stderr, new RegExp(`^demo ${stage}: `, 'm'));
  const demo = JSON.parse(result.stdout) as DemoJson;
  assert.equal(readdirSync(join(work, 'wav')).length, 12);
  assert.deepEqual(
    demo.neighbours.map((n) => n.rank),
    [1, 2, 3, 4],
  );
  // The query is fixtures/media/noise-2.m4a, itself indexed: it comes first, then the other noise clips.
  assert.equal(demo.neighbours[0].coubId, 'noise-2.wav');
  assert.ok(demo.neighbours[0].distance < 1e-3);
  assert.deepEqual(demo.neighbours.slice(1, 3).map((n) => n.coubId).sort(), ['noise-1.wav', 'noise-3.wav']);
  assert.ok(demo.neighbours[3].distance > demo.neighbours[2].distance, 'another class is farther');

  // Run again in the same place: every stage finds its work done and the answer is the same.
  const again = await runBoiler(['demo', '--work-dir', work, '--json'], { timeoutMs: 300_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /nothing|resuming/);
  assert.deepEqual((JSON.parse(again.stdout) as DemoJson).neighbours.map((n) => n.coubId), demo.neighbours.map((n) => n.coubId));
});
