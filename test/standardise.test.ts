import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readManifest } from '../src/search/model-manifest.js';
import { modelFile } from '../src/search/model-dir.js';
import { ModelIndex } from '../src/search/model-index.js';
import { ENCODER_NAMES } from '../src/model/encoders.js';
import { embeddingStatistics, standardisedByDefault, standardiseVector } from '../src/search/standardise.js';
import { runBoiler } from './helpers/cli.js';
import { fixtureWavs, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-standardise-');
let fixtures: string;
before(async () => {
  fixtures = await fixtureWavs(root);
});

/** A fresh copy of some fixture wavs, so that each test has its own model directory beside it. */
function wavsIn(name: string, files = readdirSync(fixtures)): string {
  const dir = join(root, name, 'wav');
  mkdirSync(dir, { recursive: true });
  for (const file of files) copyFileSync(join(fixtures, file), join(dir, file));
  return dir;
}

test('standardisation: zero mean and unit spread per dimension, a constant dimension 0', () => {
  const vectors = [Float32Array.of(1, 5, 0), Float32Array.of(3, 5, 2), Float32Array.of(5, 5, 4)];
  const statistics = embeddingStatistics(vectors);
  assert.deepEqual(statistics.mean, [3, 5, 2]);
  assert.equal(statistics.clips, 3);
  const out = vectors.map((v) => standardiseVector(v, statistics));
  assert.deepEqual(out.map((v) => v[1]), [0, 0, 0]);
  assert.ok(Math.abs(out[2][0] - Math.sqrt(3 / 2)) < 1e-6);
  assert.ok(standardisedByDefault('mfcc'));
  for (const learned of ENCODER_NAMES) assert.ok(!standardisedByDefault(learned), learned);
});

test('the first index run stores the statistics, every indexed vector is standardised with them, and reruns reuse them', async () => {
  const files = readdirSync(fixtures).sort();
  const wavs = wavsIn('rerun', files.slice(0, 8));
  const modelDir = `${wavs}-mfcc`;
  const first = await runBoiler(['index', '--wav-dir', wavs, 'mfcc']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^standardising with the mean and spread of each dimension over 8 clips$/m);
  const manifest = readManifest(modelDir)!;
  assert.equal(manifest.files?.statistics?.bytes, readFileSync(modelFile(modelDir, 'statistics')).length);
  // All 8 clips are the sample, so the indexed vectors have zero mean and unit spread.
  const index = ModelIndex.open(modelDir);
  const again = embeddingStatistics(index.clips.map((_, i) => index.vectors.vectorOf(i)));
  again.mean.forEach((m, d) => assert.ok(Math.abs(m) < 1e-4 && Math.abs(again.std[d] - 1) < 1e-4, `dimension ${d}: ${m}, ${again.std[d]}`));

  const stored = readFileSync(modelFile(modelDir, 'statistics'));
  for (const file of files.slice(8)) copyFileSync(join(fixtures, file), join(wavs, file));
  const rerun = await runBoiler(['index', '--wav-dir', wavs, 'mfcc']);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /^4 clips added, 8 already indexed/m);
  assert.doesNotMatch(rerun.stderr, /standardising/);
  assert.deepEqual(readFileSync(modelFile(modelDir, 'statistics')), stored);
});

test('--no-standardise for mfcc, and the original encoders unstandardised by default, are recorded in the manifest', async () => {
  const wavs = wavsIn('raw');
  const raw = await runBoiler(['index', '--wav-dir', wavs, 'mfcc', '--no-standardise']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(readManifest(`${wavs}-mfcc`)!.standardise, false);
  assert.ok(!existsSync(join(`${wavs}-mfcc`, 'standardisation.json')));
  const conflict = await runBoiler(['index', '--wav-dir', wavs, 'mfcc', '--standardise']);
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /was indexed with embeddings not standardised \(--no-standardise\): remove it/);

  const dir = join(root, 'raw');
  const checkpoint = referenceCheckpointIn(dir);
  const bag = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, 'BagBottomVQVAE']);
  assert.equal(bag.code, 0, bag.stderr);
  assert.equal(readManifest(join(dir, 'save', 'vqvae_001', 'BagBottomVQVAE'))!.standardise, false);
});

test('query audio is standardised as the index is: an indexed clip finds itself at 0; damaged statistics are named and a rerun repairs them', async () => {
  const wavs = wavsIn('damaged');
  const modelDir = `${wavs}-mfcc`;
  assert.equal((await runBoiler(['index', '--wav-dir', wavs, 'mfcc'])).code, 0);
  const query = () => runBoiler(['query', '--model-dir', modelDir, '-k', '1', join(wavs, 'noise-1.wav')]);
  const found = await query();
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stdout, /^ +1 +0\.0000 +noise-1\.wav$/m);

  writeFileSync(modelFile(modelDir, 'statistics'), '{"clips": 1}');
  const damaged = await query();
  assert.equal(damaged.code, 1);
  assert.equal(damaged.stderr.trim().split('\n').length, 1, damaged.stderr);
  assert.match(damaged.stderr, new RegExp(`standardisation\\.json is .*: run boiler index --wav-dir ${wavs} mfcc to repair it`));
  const repair = await runBoiler(['index', '--wav-dir', wavs, 'mfcc']);
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(repair.stderr, /^repairing: .*standardisation\.json is missing or damaged: its 12 clips are embedded again/m);
  assert.match(repair.stderr, /^12 clips added, 0 already indexed/m);
  assert.match((await query()).stdout, /^ +1 +0\.0000 +noise-1\.wav$/m);
});
