import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { EvaluationReport } from '../src/eval/evaluate.js';
import { runBoiler } from './helpers/cli.js';
import { fixtureWavs, referenceCheckpointIn } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

/**
 * The fixtures are four classes of clearly different sounds (tone, noise, beat, sweep; 3 clips
 * each), indexed with the reference checkpoint's encoder. Labelled by class, MFCC statistics
 * must find a clip's classmates far more often than random directions do.
 */
const root = scratchDir('boiler-eval-');
let wavDir: string;
let modelDir: string;
let labelsFile: string;

function writeLabels(name: string, text: string): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

before(async () => {
  wavDir = await fixtureWavs(root);
  const indexed = await runBoiler(['index', '--wav-dir', wavDir, '--checkpoint', referenceCheckpointIn(root), 'BagTopVQVAE']);
  assert.equal(indexed.code, 0, indexed.stderr);
  modelDir = join(root, 'save', 'vqvae_001', 'BagTopVQVAE');
  const wavs = readdirSync(wavDir).sort();
  assert.equal(wavs.length, 12);
  labelsFile = writeLabels('classes.csv', 'file,class\n' + wavs.map((wav) => `${wav},${wav.split('-')[0]}`).join('\n') + '\n');
});

test('boiler eval on four sound classes: the MFCC baseline scores far above random, side by side with the model', async () => {
  const result = await runBoiler(['eval', '--model-dir', modelDir, '--labels', labelsFile, '--wav-dir', wavDir, '-k', '2', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as EvaluationReport;
  assert.deepEqual([report.clips, report.labelled, report.labels, report.k, report.encoder], [12, 12, 4, 2, 'BagTopVQVAE']);
  assert.deepEqual(Object.keys(report.scores), ['model', 'random', 'mfcc']);
  const { model, random, mfcc } = report.scores;
  for (const scores of [model, random, mfcc]) {
    assert.equal(scores.queries, 12);
    assert.deepEqual(Object.keys(scores.perLabel), ['beat', 'noise', 'sweep', 'tone']);
    for (const { support, precisionAtK } of Object.values(scores.perLabel)) {
      assert.equal(support, 3);
      assert.ok(precisionAtK! >= 0 && precisionAtK! <= 1);
    }
    // Each query has 2 classmates among 11 clips, so at k = 2 AP is at least precision.
    assert.ok(scores.meanAveragePrecision >= scores.precisionAtK - 1e-9);
  }
  assert.ok(mfcc.precisionAtK >= 0.75, `mfcc precision@2 ${mfcc.precisionAtK}`);
  assert.ok(random.precisionAtK <= 0.4, `random precision@2 ${random.precisionAtK}`);
  assert.ok(mfcc.meanAveragePrecision - random.meanAveragePrecision >= 0.4, `mfcc mAP ${mfcc.meanAveragePrecision}, random ${random.meanAveragePrecision}`);
  assert.ok(mfcc.perLabel.noise.precisionAtK === 1 && mfcc.perLabel.beat.precisionAtK === 1, JSON.stringify(mfcc.perLabel));

  // The table shows the same numbers, one column per embedding.
  const table = await runBoiler(['eval', '--model-dir', modelDir, '--labels', labelsFile, '--wav-dir', wavDir, '-k', '2']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^ +model +random +mfcc$/m);
  assert.match(table.stdout, new RegExp(`^precision@2 +${model.precisionAtK.toFixed(3)} +${random.precisionAtK.toFixed(3)} +${mfcc.precisionAtK.toFixed(3)}$`, 'm'));
  assert.match(table.stdout, new RegExp(`^  noise \\(3\\) +${model.perLabel.noise.precisionAtK!.toFixed(3)} +[0-9.]+ +1\\.000$`, 'm'));
});

test('unlabelled clips are neighbours, not queries; labels of clips outside the index are reported and left out', async () => {
  // tone-3 unlabelled, a clip the index lacks, and sweeps by path and by stem.
  const labels = writeLabels(
    'partial.tsv',
    ['beat-1.wav\tbeat', 'beat-2.wav\tbeat', 'beat-3.wav\tbeat', 'noise-1\tnoise', 'noise-2\tnoise', 'noise-3\tnoise', 'x/sweep-1.ogg\tsweep', 'sweep-2.wav\tsweep', 'sweep-3.wav\tsweep', 'tone-1.wav\ttone', 'tone-2.wav\ttone', 'elsewhere.wav\ttone'].join('\n'),
  );
  const result = await runBoiler(['eval', '--model-dir', modelDir, '--labels', labels, '--baseline', 'random', '-k', '3', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^1 clips of .*partial\.tsv are not in the index and are left out: elsewhere\.wav$/m);
  const report = JSON.parse(result.stdout) as EvaluationReport;
  assert.deepEqual([report.clips, report.labelled, report.k], [12, 11, 3]);
  assert.deepEqual(report.unmatched, ['elsewhere.wav']);
  assert.deepEqual(Object.keys(report.scores), ['model', 'random']);
  assert.equal(report.scores.model.queries, 11);
  assert.equal(report.scores.model.perLabel.tone.support, 2);
});

test('the default baselines: random, and mfcc where the wavs are known; -k larger than the index is cut to its other clips', async () => {
  const result = await runBoiler(['eval', '--model-dir', modelDir, '--labels', labelsFile, '-k', '50', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as EvaluationReport;
  assert.deepEqual(Object.keys(report.scores), ['model', 'random', 'mfcc']);
  assert.equal(report.k, 11);
  // With every other clip a neighbour, precision@11 is 2/11 for any embedding.
  for (const scores of Object.values(report.scores)) assert.ok(Math.abs(scores.precisionAtK - 2 / 11) < 1e-9);
});

test('bad input: one clear line and exit 1', async () => {
  const cases: [string[], RegExp][] = [
    [['--labels', writeLabels('nolabel.csv', 'beat-1.wav,beat\nbeat-2.wav\n')], /nolabel\.csv:2: beat-2\.wav has no label/],
    [['--labels', writeLabels('strangers.csv', 'a.wav,x\nb.wav,x\n')], /none of the clips in .*strangers\.csv is in .*: its first column must name clips/],
    [['--labels', writeLabels('lonely.csv', 'beat-1.wav,a\nbeat-2.wav,b\n')], /no two labelled clips .* share a label/],
    [['--labels', join(root, 'absent.csv')], /cannot read labels file .*absent\.csv \(ENOENT\)/],
    [['--labels', labelsFile, '--baseline', 'mfcc', '--wav-dir', root], /12 of the 12 indexed clips are not in .*: pass --wav-dir the directory that boiler index embedded/],
    [['--labels', labelsFile, '--baseline', 'random,knn'], /option '--baseline <list>' argument 'random,knn' is invalid\. expected a comma-separated list of random, mfcc/],
  ];
  for (const [args, message] of cases) {
    const result = await runBoiler(['eval', '--model-dir', modelDir, ...args]);
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.equal(result.stdout, '');
  }
  const noModel = await runBoiler(['eval', '--labels', labelsFile], { env: { BOILER_MODEL_DIR: '' } });
  assert.equal(noModel.code, 1);
  assert.match(noModel.stderr, /no model directory: pass --model-dir DIR/);
});
