/**
 * Retrieval quality, as a user gets it: on each labelled set of ../shared/labelled (or
 * BOILER_LABELLED), `boiler convert`, `boiler train` with its defaults and `--max-minutes`
 * (BENCH_TRAIN_MINUTES, default 8), `boiler index` with every encoder of the checkpoint and with
 * the training-free `mfcc`, and `boiler eval -k 10`; prints precision@10 per encoder and task
 * beside eval's random and MFCC baselines, with each encoder's share of distinct embeddings, as a
 * markdown table (the one README shows). Work files go to BENCH_OUT/quality (default tmp/bench).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENCODER_NAMES } from '../src/model/encoders.js';

const BOILER = new URL('../bin/boiler', import.meta.url).pathname;
const LABELLED = resolve(process.env.BOILER_LABELLED ?? new URL('../../shared/labelled', import.meta.url).pathname);
const OUT = resolve(process.env.BENCH_OUT ?? 'tmp/bench', 'quality');
const MINUTES = Number(process.env.BENCH_TRAIN_MINUTES ?? 8);
const K = 10;

interface LabelledSet {
  name: string;
  media: string;
  tasks: { task: string; labels: string }[];
}

const SETS: LabelledSet[] = [
  { name: 'fsdd-dev', media: 'recordings', tasks: [{ task: 'digits', labels: 'digits.csv' }, { task: 'speakers', labels: 'speakers.csv' }] },
  { name: 'drums-dev', media: 'samples', tasks: [{ task: 'drum types', labels: 'classes.csv' }] },
];

/** Runs boiler; returns stdout, or stops the benchmark with its stderr. Exit 3 (some items failed) is reported, not fatal. */
function boiler(args: string[]): string {
  const started = performance.now();
  const run = spawnSync(process.execPath, [BOILER, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (run.status !== 0 && run.status !== 3) {
    console.error(run.stderr);
    throw new Error(`boiler ${args.join(' ')} exited ${run.status}`);
  }
  console.log(`  boiler ${args.join(' ')} (${seconds} s${run.status === 3 ? ', exit 3: some items failed' : ''})`);
  return run.stdout;
}

interface EvalScores {
  scores: Record<'model' | 'random' | 'mfcc', { precisionAtK: number }>;
}

interface Row {
  encoder: string;
  /** precision@10 by task. */
  precision: Map<string, number>;
  /** Distinct embeddings / clips, by set. */
  distinct: string[];
}

if (!existsSync(LABELLED)) {
  console.log(`quality: skipped: ${LABELLED} not found (set BOILER_LABELLED to the labelled sets' folder)`);
  process.exit(0);
}

const rows = new Map<string, Row>();
const row = (encoder: string) => rows.get(encoder) ?? rows.set(encoder, { encoder, precision: new Map(), distinct: [] }).get(encoder)!;
const tasks: string[] = [];

for (const set of SETS) {
  console.log(`${set.name}:`);
  const wavDir = join(OUT, set.name, 'wav');
  const saveDir = join(OUT, set.name, 'save');
  boiler(['convert', '--in', join(LABELLED, set.name, set.media), '--out', wavDir]);
  boiler(['train', '--wav-dir', wavDir, '--save-path', saveDir, '--max-minutes', String(MINUTES)]);
  const checkpoint = readdirSync(saveDir)
    .filter((name) => /^vqvae_\d+(\.partial)?\.safetensors$/.test(name))
    .sort()
    .pop();
  if (!checkpoint) throw new Error(`boiler train left no checkpoint in ${saveDir}`);
  const modelDirs = new Map<string, string>();
  for (const encoder of [...ENCODER_NAMES, 'mfcc']) {
    const from = encoder === 'mfcc' ? [] : ['--checkpoint', join(saveDir, checkpoint)];
    const summary = JSON.parse(boiler(['index', '--wav-dir', wavDir, ...from, encoder, '--json'])) as { modelDir: string; count: number; distinct: number };
    modelDirs.set(encoder, summary.modelDir);
    row(encoder).distinct.push(`${summary.distinct}/${summary.count}`);
  }
  for (const { task, labels } of set.tasks) {
    tasks.push(task);
    for (const [encoder, modelDir] of modelDirs) {
      const baselines = encoder === 'mfcc' ? ['--baseline', 'random,mfcc', '--wav-dir', wavDir] : ['--baseline', 'none'];
      const scored = JSON.parse(boiler(['eval', '--model-dir', modelDir, '--labels', join(LABELLED, set.name, labels), '-k', String(K), ...baselines, '--json'])) as EvalScores;
      row(encoder).precision.set(task, scored.scores.model.precisionAtK);
      if (encoder === 'mfcc') {
        row('random (eval baseline)').precision.set(task, scored.scores.random.precisionAtK);
        row('MFCC (eval baseline)').precision.set(task, scored.scores.mfcc.precisionAtK);
      }
    }
  }
}

const mfcc = rows.get('MFCC (eval baseline)')!.precision;
console.log(`\nprecision@${K}, each set trained with boiler train's defaults for --max-minutes ${MINUTES} (ratio to MFCC in brackets):\n`);
console.log(`| encoder | ${tasks.join(' | ')} | distinct embeddings (${SETS.map((set) => set.name).join(', ')}) |`);
console.log(`| --- | ${tasks.map(() => '---').join(' | ')} | --- |`);
for (const { encoder, precision, distinct } of rows.values()) {
  const cells = tasks.map((task) => {
    const p = precision.get(task)!;
    return `${p.toFixed(3)} (${(p / mfcc.get(task)!).toFixed(2)})`;
  });
  console.log(`| ${encoder} | ${cells.join(' | ')} | ${distinct.join(', ')} |`);
}
