import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { modelFile } from '../src/search/model-dir.js';
import { ModelIndex } from '../src/search/model-index.js';
import { runBoiler } from './helpers/cli.js';
import { fixtureWavs, referenceCheckpointIn, REFERENCE_ENCODER } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-wav-dirs-');
let fixtures: string;
let names: string[];
before(async () => {
  fixtures = await fixtureWavs(root);
  names = readdirSync(fixtures).sort();
});

/** A scratch run: a checkpoint under `dir/save`, and the model directory `boiler index REFERENCE_ENCODER` makes beside it. */
function scratch(): { dir: string; checkpoint: string; modelDir: string } {
  const dir = mkdtempSync(join(root, 'run-'));
  return { dir, checkpoint: referenceCheckpointIn(dir), modelDir: join(dir, 'save', 'vqvae_001', REFERENCE_ENCODER) };
}

/** `dir/name` holding copies of the fixture wavs `files`. */
function wavsIn(dir: string, name: string, files: string[]): string {
  const wavs = join(dir, name);
  mkdirSync(wavs);
  for (const file of files) copyFileSync(join(fixtures, file), join(wavs, file));
  return wavs;
}

function index(wavs: string, checkpoint: string) {
  return runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, REFERENCE_ENCODER]);
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

test('indexing a second wav directory into a model directory is one error that changes nothing', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const first = wavsIn(dir, 'w1', names.slice(0, 6));
  const second = wavsIn(dir, 'w2', names.slice(6));
  assert.equal((await index(first, checkpoint)).code, 0);
  const manifest = readFileSync(modelFile(modelDir, 'manifest'));

  const refused = await index(second, checkpoint);
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stdout, '');
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.ok(refused.stderr.includes(`was indexed from ${first}: `) && refused.stderr.includes(second), refused.stderr);
  assert.deepEqual(readFileSync(modelFile(modelDir, 'manifest')), manifest);
  assert.deepEqual(lines(modelFile(modelDir, 'clips')), names.slice(0, 6));
});

test('a repair whose clips are no longer in the wav directory lists them as failed (exit 3)', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = wavsIn(dir, 'wav', names);
  assert.equal((await index(wavs, checkpoint)).code, 0);
  for (const file of names.slice(6)) rmSync(join(wavs, file));
  rmSync(modelFile(modelDir, 'tensors'));

  const repair = await index(wavs, checkpoint);
  assert.equal(repair.code, 3, repair.stderr);
  assert.match(repair.stderr, /^repairing: .*tensors\.tsv is missing/m);
  for (const file of names.slice(6)) assert.match(repair.stderr, new RegExp(`^skipped ${file.replace('.', '\\.')}: .*no longer in ${wavs}:`, 'm'));
  assert.match(repair.stderr, /^6 clips added, 0 already indexed, 6 failed; 6 clips/m);
});

test('a lost manifest is answered with the index command that makes the directory again', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = wavsIn(dir, 'wav', names);
  assert.equal((await index(wavs, checkpoint)).code, 0);
  rmSync(modelFile(modelDir, 'manifest'));
  const query = await runBoiler(['query', '--model-dir', modelDir, join(wavs, 'beat-2.wav')]);
  assert.equal(query.code, 1, query.stderr);
  assert.ok(
    query.stderr.includes(`run boiler index --wav-dir WAVS --checkpoint ${checkpoint} ${REFERENCE_ENCODER} (with the --wav-dir it was made from)`),
    query.stderr,
  );
  const empty = mkdtempSync(join(dir, 'empty-'));
  const none = await runBoiler(['query', '--model-dir', empty, join(wavs, 'beat-2.wav')]);
  assert.match(none.stderr, /no manifest\.json\): run boiler index to make one$/m);
});

/** What a rerun repairs, each with the file its `repairing:` line names. */
const DAMAGE: [string, string, (modelDir: string) => void][] = [
  ['encoder.onnx missing', 'encoder.onnx', (modelDir) => rmSync(modelFile(modelDir, 'encoder'))],
  ['encoder.onnx with a byte flipped', 'encoder.onnx', (modelDir) => {
    const bytes = readFileSync(modelFile(modelDir, 'encoder'));
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(modelFile(modelDir, 'encoder'), bytes);
  }],
  ['encoder.tfjs.safetensors missing', 'encoder.tfjs.safetensors', (modelDir) => rmSync(modelFile(modelDir, 'tfjsEncoder'))],
  ['encoder.tfjs.safetensors cut short', 'encoder.tfjs.safetensors', (modelDir) => {
    writeFileSync(modelFile(modelDir, 'tfjsEncoder'), readFileSync(modelFile(modelDir, 'tfjsEncoder')).subarray(0, 1000));
  }],
  ['manifest.json count changed', 'manifest.json', (modelDir) => {
    const path = modelFile(modelDir, 'manifest');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"count": 12/, '"count": 11'));
  }],
  ['manifest.json missing', 'manifest.json', (modelDir) => rmSync(modelFile(modelDir, 'manifest'))],
];

test('every file a rerun repairs is named on a repairing: line', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = wavsIn(dir, 'wav', names);
  assert.equal((await index(wavs, checkpoint)).code, 0);
  for (const [what, file, damage] of DAMAGE) {
    damage(modelDir);
    const repair = await index(wavs, checkpoint);
    assert.equal(repair.code, 0, `${what}: ${repair.stderr}`);
    assert.match(repair.stderr, new RegExp(`^repairing: ${join(modelDir, file).replaceAll('.', '\\.')} is `, 'm'), `${what}: ${repair.stderr}`);
    assert.equal(ModelIndex.open(modelDir).clips.length, 12, what);
    const quiet = await index(wavs, checkpoint);
    assert.doesNotMatch(quiet.stderr, /repairing/, `${what}, then again: ${quiet.stderr}`);
  }
});

test('lines appended past the committed clips are cut by a rerun that adds nothing', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = wavsIn(dir, 'wav', names);
  assert.equal((await index(wavs, checkpoint)).code, 0);
  appendFileSync(modelFile(modelDir, 'clips'), 'stray-1.wav\nstray-2.wav\n');
  const rerun = await index(wavs, checkpoint);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(lines(modelFile(modelDir, 'clips')), names);
});

test('a run whose every wav fails is one error (exit 1) and makes no model directory', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = join(dir, 'wav44k');
  mkdirSync(wavs);
  for (const file of names.slice(0, 3)) {
    execFileSync(locateFfmpeg().path, ['-loglevel', 'error', '-i', join(fixtures, file), '-ar', '44100', join(wavs, file)]);
  }
  const result = await index(wavs, checkpoint);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, '');
  const last = result.stderr.trim().split('\n').at(-1)!;
  assert.match(last, new RegExp(`^boiler: none of the 3 wavs in ${wavs} could be indexed \\(${names[0].replace('.', '\\.')}: .*16 ?kHz`), result.stderr);
  assert.doesNotMatch(result.stderr, /clips added/);
  assert.equal(existsSync(modelDir), false);
});
