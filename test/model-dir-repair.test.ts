import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { readManifest } from '../src/search/model-manifest.js';
import { MODEL_FILES, modelFile, type ModelFile } from '../src/search/model-dir.js';
import { ModelIndex } from '../src/search/model-index.js';
import { BOILER, runBoiler } from './helpers/cli.js';
import { copiesOf, fixtureWavs, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

const root = scratchDir('boiler-repair-');
let wavDir: string;
before(async () => {
  wavDir = await fixtureWavs(root);
});

/** The bottom codes: the reference checkpoint's top codebook gives every clip the same top code. */
const ENCODER = 'BagBottomVQVAE';

/** A scratch run: a checkpoint under `dir/save`, and the model directory `boiler index ENCODER` makes beside it. */
function scratch(): { dir: string; checkpoint: string; modelDir: string } {
  const dir = mkdtempSync(join(root, 'run-'));
  return { dir, checkpoint: referenceCheckpointIn(dir), modelDir: join(dir, 'save', 'vqvae_001', ENCODER) };
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

/** The fixture wavs resampled by ffmpeg to 44.1 kHz, a rate boiler refuses. */
function wavsAt44k(dir: string): string {
  mkdirSync(dir);
  const ffmpeg = locateFfmpeg().path;
  for (const name of readdirSync(wavDir)) {
    execFileSync(ffmpeg, ['-loglevel', 'error', '-i', join(wavDir, name), '-ar', '44100', join(dir, name)]);
  }
  return dir;
}

test('a model directory left by a run whose every wav failed takes good wavs on the next run (no native crash)', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const rejected = await runBoiler(['index', '--wav-dir', wavsAt44k(join(dir, 'wav44k')), '--checkpoint', checkpoint, ENCODER]);
  assert.equal(rejected.code, 1, rejected.stderr);
  assert.match(rejected.stderr, /^boiler: none of the 12 wavs in .* could be indexed/m);
  assert.equal(readManifest(modelDir), undefined);

  const good = join(dir, 'wav');
  mkdirSync(good);
  for (const name of readdirSync(wavDir)) copyFileSync(join(wavDir, name), join(good, name));
  const rerun = await runBoiler(['index', '--wav-dir', good, '--checkpoint', checkpoint, ENCODER]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.doesNotMatch(rerun.stderr, /skipped|Hnswlib/);
  assert.match(rerun.stderr, /^12 clips added, 0 already indexed, 0 failed; 12 clips/m);
  const index = ModelIndex.open(modelDir);
  assert.equal(index.clips.length, 12);
  assert.equal(index.nearest(index.vectors.vectorOf(index.findClip('beat-2.wav')!), 1)[0].distance, 0);
});

/** What a user may find in a model directory: each file missing, cut short or overwritten. */
const DAMAGE: [string, ModelFile, (path: string) => void][] = [
  ['clips.tsv missing', 'clips', (path) => rmSync(path)],
  ['metadata.tsv missing', 'metadata', (path) => rmSync(path)],
  ['tensors.tsv missing', 'tensors', (path) => rmSync(path)],
  ['tensors.tsv cut short', 'tensors', (path) => writeFileSync(path, readFileSync(path).subarray(0, 100))],
  ['metadata.tsv with a line changed', 'metadata', (path) => writeFileSync(path, readFileSync(path, 'utf8').replace('beat-1.wav', 'beat-9.wav'))],
  ['index.hnsw overwritten', 'hnsw', (path) => writeFileSync(path, 'not a graph')],
  ['encoder.onnx missing', 'encoder', (path) => rmSync(path)],
  ['encoder.onnx with a byte flipped', 'encoder', (path) => {
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(path, bytes);
  }],
];

test('a missing or damaged file is named by readers with the command that repairs it, and running that command does', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = join(dir, 'wav');
  mkdirSync(wavs);
  for (const name of readdirSync(wavDir)) copyFileSync(join(wavDir, name), join(wavs, name));
  const first = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, ENCODER]);
  assert.equal(first.code, 0, first.stderr);
  const intact = Object.fromEntries(Object.values(MODEL_FILES).filter((name) => existsSync(join(modelDir, name))).map((name) => [name, readFileSync(join(modelDir, name))]));

  for (const [what, file, damage] of DAMAGE) {
    damage(modelFile(modelDir, file));
    // The reader: query by audio, which needs the encoder as well as the index.
    const query = await runBoiler(['query', '--model-dir', modelDir, join(wavs, 'beat-2.wav')]);
    assert.equal(query.code, 1, `${what}: ${query.stderr}`);
    assert.equal(query.stderr.trim().split('\n').length, 1, `${what}: one line: ${query.stderr}`);
    assert.ok(query.stderr.includes(modelFile(modelDir, file)), `${what}: names the file: ${query.stderr}`);
    const advised = / run boiler (index .*) to repair it$/m.exec(query.stderr)?.[1];
    assert.equal(advised, `index --wav-dir ${wavs} --checkpoint ${checkpoint} ${ENCODER}`, `${what}: ${query.stderr}`);

    const repair = await runBoiler(advised.split(' '));
    assert.equal(repair.code, 0, `${what}: ${repair.stderr}`);
    assert.match(repair.stderr, /^12 clips added, 0 already indexed|^0 clips added, 12 already indexed/m, what);
    if (file !== 'encoder') assert.match(repair.stderr, new RegExp(`^repairing: ${modelFile(modelDir, file)} is `, 'm'), what);
    for (const name of [MODEL_FILES.clips, MODEL_FILES.metadata, MODEL_FILES.tensors, MODEL_FILES.encoder]) {
      assert.deepEqual(readFileSync(join(modelDir, name)), intact[name], `${what}: ${name} as it was`);
    }
    const index = ModelIndex.open(modelDir);
    assert.equal(index.clips.length, 12, what);
    if (file !== 'encoder') continue;
    const again = await runBoiler(['query', '--model-dir', modelDir, '-k', '1', join(wavs, 'beat-2.wav')]);
    assert.equal(again.code, 0, `${what}: ${again.stderr}`);
    assert.match(again.stdout, /^ +1 +0\.0+ +beat-2\.wav$/m, what);
  }

  writeFileSync(modelFile(modelDir, 'manifest'), '{"format": "boiler-mo');
  const unreadable = await runBoiler(['query', '--model-dir', modelDir, join(wavs, 'beat-2.wav')]);
  assert.match(unreadable.stderr, /manifest\.json is not valid JSON .*: run boiler index again with the --wav-dir and --checkpoint that made the directory, to rebuild it$/m);
  const rebuilt = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, ENCODER]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.match(rebuilt.stderr, /^repairing: .*manifest\.json is damaged: the directory is indexed afresh$/m);
  assert.deepEqual(lines(modelFile(modelDir, 'clips')), readdirSync(wavs).sort());
  assert.equal(ModelIndex.open(modelDir).clips.length, 12);
});

test('a wav that cannot be read, is misnamed, has the wrong rate or does not decode is one failed item (exit 3), not the end of the run', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = join(dir, 'wav');
  mkdirSync(wavs);
  for (const name of readdirSync(wavDir)) copyFileSync(join(wavDir, name), join(wavs, name));
  copyFileSync(join(wavsAt44k(join(dir, 'wav44k')), 'tone-1.wav'), join(wavs, 'rate-44k.wav'));
  writeFileSync(join(wavs, 'garbage.wav'), 'RIFF and nothing else');
  copyFileSync(join(wavDir, 'tone-2.wav'), join(wavs, 'tab\tname.wav'));
  const denied = join(wavs, 'denied.wav');
  copyFileSync(join(wavDir, 'tone-3.wav'), denied);
  chmodSync(denied, 0);
  if (canRead(denied)) {
    // Run as root, chmod 000 does not deny reads: a link to nowhere is then the wav that cannot be opened.
    rmSync(denied);
    symlinkSync(join(dir, 'gone.wav'), denied);
  }

  const result = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, ENCODER, '--batch-size', '3']);
  assert.equal(result.code, 3, result.stderr);
  for (const name of ['denied.wav', 'garbage.wav', 'rate-44k.wav', 'tab\tname.wav']) {
    assert.ok(result.stderr.split('\n').some((line) => line.startsWith(`skipped ${name}: `)), `${name}: ${result.stderr}`);
  }
  assert.match(result.stderr, /^12 clips added, 0 already indexed, 4 failed; 12 clips/m);
  assert.equal(ModelIndex.open(modelDir).clips.length, 12);
});

function canRead(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

test('a run killed (SIGKILL) after a commit, and run again, ends with every clip indexed once', async () => {
  const { dir, checkpoint, modelDir } = scratch();
  const wavs = join(dir, 'wav');
  const names = [...copiesOf(join(wavDir, 'beat-3.wav'), wavs, 30, 'beat-'), ...copiesOf(join(wavDir, 'noise-1.wav'), wavs, 30, 'noise-')];
  const args = ['index', '--wav-dir', wavs, '--checkpoint', checkpoint, ENCODER, '--batch-size', '4'];
  const env = { BOILER_COMMIT_INTERVAL: '0', BOILER_PROGRESS_INTERVAL: '0' };
  const child = spawn(process.execPath, [BOILER, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Each batch is committed before the next is added: a progress line past the first batch follows a commit.
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/^index: ([5-9]|\d\d+)\/60 /m.test(stderr)) resolve();
    });
    void exited.then(() => reject(new Error(`index ended before its second batch: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
  const committed = readManifest(modelDir)!.count;
  assert.ok(committed >= 4 && committed < names.length, `killed mid-way (${committed} of ${names.length} committed)`);

  const rerun = await runBoiler(args, { env });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`^${names.length - committed} clips added, ${committed} already indexed, 0 failed; ${names.length} clips`, 'm'));
  assert.deepEqual(lines(modelFile(modelDir, 'clips')), names);
  assert.deepEqual(ModelIndex.open(modelDir).clips.map((clip) => clip.file), names);
});
