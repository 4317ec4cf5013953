import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { calibrateSearch, TARGET_RECALL } from '../src/search/calibrate.js';
import { clipIdentity, readCrawlPermalinks } from '../src/search/coub.js';
import type { IndexParameters } from '../src/search/model-manifest.js';
import { MODEL_FILES, modelDirFor, modelFile, resolveModelDir } from '../src/search/model-dir.js';
import { ModelDirWriter, type ModelDirSettings } from '../src/search/model-dir-writer.js';
import { ModelIndex } from '../src/search/model-index.js';
import { parseTensorLine, tensorLine } from '../src/search/projector.js';
import { checkQueryVector, parseEmbeddingJson } from '../src/search/query-vector.js';
import { VectorIndex, type GraphParameters } from '../src/search/vector-index.js';
import { bagOfCodesVectors, randomUnitVectors } from './helpers/random-vectors.js';
import { scratchDir } from './helpers/scratch.js';

const scratch = scratchDir('boiler-search-');

const GRAPH: GraphParameters = { m: 16, efConstruction: 200 };
const PARAMETERS: IndexParameters = { space: 'cosine', ...GRAPH, batchSize: 32 };

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return 1 - dot / (Math.hypot(...a) * Math.hypot(...b));
}

/** The exact k nearest clips by brute force, as distances sorted ascending. */
function exactDistances(vectors: Float32Array[], query: Float32Array, k: number): number[] {
  return vectors
    .map((v) => cosineDistance(v, query))
    .sort((a, b) => a - b)
    .slice(0, k);
}

describe('VectorIndex', () => {
  test('stores duplicate vectors once and returns every clip that has the nearest one', () => {
    const [a, b, c] = randomUnitVectors(3, 8, 1);
    const index = VectorIndex.create(8, GRAPH);
    for (const v of [a, b, a, c, a]) index.add(v);
    assert.equal(index.count, 5);
    assert.equal(index.distinct, 3);
    const hits = index.search(a, 3);
    assert.deepEqual(
      hits.map((h) => h.clip),
      [0, 2, 4],
    );
    for (const hit of hits) assert.ok(hit.distance >= 0 && hit.distance < 1e-6, `distance ${hit.distance}`);
  });

  test('leaves out the excluded clip but keeps its duplicates', () => {
    const [a, b] = randomUnitVectors(2, 8, 2);
    const index = VectorIndex.create(8, GRAPH);
    for (const v of [a, a, b]) index.add(v);
    const hits = index.search(a, 3, { exclude: 0 });
    assert.deepEqual(
      hits.map((h) => h.clip),
      [1, 2],
    );
  });

  test('answers with fewer than k when the index holds fewer, nearest first', () => {
    const vectors = randomUnitVectors(4, 16, 3);
    const index = VectorIndex.create(16, GRAPH);
    vectors.forEach((v) => index.add(v));
    const hits = index.search(vectors[2], 10);
    assert.equal(hits.length, 4);
    assert.equal(hits[0].clip, 2);
    assert.deepEqual(
      hits.map((h) => h.distance),
      [...hits.map((h) => h.distance)].sort((x, y) => x - y),
    );
  });

  test('refuses an all-zero vector and one of the wrong dimension', () => {
    const index = VectorIndex.create(4, GRAPH);
    assert.throws(() => index.add(new Float32Array(4)), /all zeros/);
    assert.throws(() => index.add(new Float32Array(3).fill(1)), /4-dimensional/);
    assert.equal(index.count, 0);
  });

  test('graph search and exact search agree with brute force on 2,000 random vectors', () => {
    const vectors = randomUnitVectors(2000, 32, 4);
    const queries = randomUnitVectors(50, 32, 5);
    const index = VectorIndex.create(32, GRAPH);
    for (const v of vectors) index.add(v);
    let hits = 0;
    for (const query of queries) {
      const truth = exactDistances(vectors, query, 10);
      const fromExact = index.search(query, 10, { method: 'exact' }).map((h) => h.distance);
      fromExact.forEach((d, i) => assert.ok(Math.abs(d - truth[i]) < 1e-5, `exact rank ${i}: ${d} vs ${truth[i]}`));
      // Tie-aware recall: a result counts when it is as close as the true 10th neighbour.
      hits += index.search(query, 10, { ef: 200 }).filter((h) => h.distance <= truth[9] + 1e-6).length;
    }
    assert.ok(hits / (10 * queries.length) >= 0.98, `graph recall@10 ${hits / 500}`);
  });

  test('a saved graph is reused by restore, and a missing one is rebuilt', () => {
    const vectors = bagOfCodesVectors(300, 64, 23, 6);
    const index = VectorIndex.create(64, GRAPH);
    vectors.forEach((v) => index.add(v));
    const file = join(scratch, 'graph.hnsw');
    index.saveGraph(file);
    const stored = { dimension: 64, parameters: GRAPH, vectors, lines: vectors.map(tensorLine) };
    const reused = VectorIndex.restore({ ...stored, graphFile: file, rebuild: false });
    assert.ok(reused);
    assert.equal(reused.count, 300);
    assert.equal(reused.distinct, index.distinct);
    assert.ok(index.distinct < 300, 'bag-of-codes vectors repeat');
    assert.deepEqual(reused.search(vectors[7], 5), index.search(vectors[7], 5));
    assert.equal(VectorIndex.restore({ ...stored, graphFile: join(scratch, 'absent.hnsw'), rebuild: false }), undefined);
    const rebuilt = VectorIndex.restore({ ...stored, graphFile: join(scratch, 'absent.hnsw'), rebuild: true });
    assert.equal(rebuilt?.search(vectors[7], 1)[0].distance, 0);
  });
});

describe('search calibration', () => {
  test('picks the graph only where it reaches recall 0.99 and beats exact search; its ef is the smallest that does', () => {
    const index = VectorIndex.create(32, GRAPH);
    randomUnitVectors(3000, 32, 21).forEach((v) => index.add(v));
    const plan = calibrateSearch(index);
    assert.equal(plan.queries, 200);
    assert.ok(plan.exactMicros > 0 && plan.graphMicros > 0);
    if (plan.method === 'graph') assert.ok(plan.recall >= TARGET_RECALL && plan.graphMicros < plan.exactMicros, JSON.stringify(plan));
    else assert.ok(plan.recall < TARGET_RECALL || plan.exactMicros <= plan.graphMicros, JSON.stringify(plan));
    // Random 32-d vectors are hard for a graph: the smallest breadth does not reach the target.
    assert.ok(plan.ef > 16, JSON.stringify(plan));
  });

  test('an index of one vector needs no calibration: exact', () => {
    const index = VectorIndex.create(8, GRAPH);
    index.add(randomUnitVectors(1, 8, 22)[0]);
    assert.equal(calibrateSearch(index).method, 'exact');
  });
});

describe('tensors.tsv lines', () => {
  test('read back to the same float32 bits, and equal vectors give equal lines', () => {
    const [v] = randomUnitVectors(1, 64, 7);
    const back = parseTensorLine(tensorLine(v), 64, 'test');
    assert.deepEqual(back, v);
    assert.equal(tensorLine(new Float32Array([-0, 0.5])), tensorLine(new Float32Array([0, 0.5])));
    assert.equal(tensorLine(new Float32Array([0.1, 1 / 3])), '0.1\t0.33333334');
  });

  test('a short or non-numeric line is an error naming where', () => {
    assert.throws(() => parseTensorLine('1\t2', 3, 'x.tsv:4'), /x\.tsv:4: expected 3/);
    assert.throws(() => parseTensorLine('1\tfoo\t2', 3, 'x.tsv:5'), /x\.tsv:5/);
  });
});

describe('clip identity', () => {
  test('without a crawl manifest, a permalink-like stem is a coub and anything else is its file name', () => {
    assert.deepEqual(clipIdentity('1dnm2b.wav', undefined), { coubId: '1dnm2b', label: 'https://coub.com/view/1dnm2b' });
    assert.deepEqual(clipIdentity('tone-1.wav', undefined), { coubId: 'tone-1.wav', label: 'tone-1.wav' });
    assert.deepEqual(clipIdentity('My Song.wav', undefined), { coubId: 'My Song.wav', label: 'My Song.wav' });
  });

  test("a crawl's manifest.jsonl, beside the wavs or one level up, decides which stems are coubs", () => {
    const crawl = join(scratch, 'crawl');
    mkdirSync(join(crawl, 'wav'), { recursive: true });
    assert.equal(readCrawlPermalinks(join(crawl, 'wav')), undefined);
    const lines = [
      JSON.stringify({ permalink: 'ab12cd', url: 'https://coub.com/view/ab12cd', status: 'ok' }),
      JSON.stringify({ permalink: 'long-permalink-x', status: 'ok' }),
      '{"permalink": "cut sh',
    ];
    writeFileSync(join(crawl, 'manifest.jsonl'), lines.join('\n'));
    const crawled = readCrawlPermalinks(join(crawl, 'wav'));
    assert.deepEqual([...(crawled ?? [])], ['ab12cd', 'long-permalink-x']);
    assert.equal(clipIdentity('long-permalink-x.wav', crawled).label, 'https://coub.com/view/long-permalink-x');
    assert.equal(clipIdentity('zz99zz.wav', crawled).label, 'zz99zz.wav');
  });
});

describe('query vectors', () => {
  test('accepts D finite numbers and names what is wrong otherwise', () => {
    assert.deepEqual(checkQueryVector([1, 0, 0], 3), new Float32Array([1, 0, 0]));
    assert.throws(() => checkQueryVector([1, 0], 3), /has 2 numbers but this index holds 3-dimensional/);
    assert.throws(() => checkQueryVector([1, null, 0], 3), /element 1 is null/);
    assert.throws(() => checkQueryVector([1, '2', 0], 3), /element 1 is "2"/);
    assert.throws(() => checkQueryVector([0, 0, 0], 3), /all zeros/);
    assert.throws(() => checkQueryVector({ embedding: [1] }, 3), /must be an array of 3 numbers/);
    assert.deepEqual(parseEmbeddingJson('{"embedding": [0, 2, 0]}', 3), new Float32Array([0, 2, 0]));
    assert.throws(() => parseEmbeddingJson('[1, 2', 2), /--embedding is not valid JSON/);
  });
});

describe('model directory', () => {
  const settings: ModelDirSettings = {
    encoder: 'BagTopVQVAE',
    dimension: 64,
    checkpoint: { path: '/save/vqvae_001.safetensors', sha256: 'a'.repeat(64) },
    parameters: PARAMETERS,
  };
  const vectors = bagOfCodesVectors(40, 64, 23, 8);
  const names = vectors.map((_, i) => (i % 2 ? `c${String(i).padStart(4, '0')}x.wav` : `clip ${i}.wav`));
  const identity = (name: string) => clipIdentity(name, undefined);

  test('is named after the checkpoint and the encoder, as the original', () => {
    assert.equal(modelDirFor('/save/vqvae_007.safetensors', 'BagTopVQVAE'), '/save/vqvae_007/BagTopVQVAE');
  });

  test('writes projector files, clips, graph and manifest that ModelIndex reads back', () => {
    const dir = join(scratch, 'model-a');
    const writer = ModelDirWriter.open(dir, settings);
    vectors.forEach((v, i) => writer.add(names[i], identity(names[i]), v));
    const manifest = writer.commit({ calibrate: true });
    assert.equal(manifest.count, 40);
    assert.equal(manifest.dimension, 64);
    assert.ok(manifest.distinct < 40);
    assert.match(manifest.libraries['hnswlib-node'], /^\d+\.\d+\.\d+$/);
    assert.ok(!Number.isNaN(Date.parse(manifest.createdAt)));

    const metadata = readFileSync(modelFile(dir, 'metadata'), 'utf8').split('\n');
    assert.equal(metadata[0], 'clip 0.wav');
    assert.equal(metadata[1], 'https://coub.com/view/c0001x');
    assert.equal(metadata.length, 41);
    const tensors = readFileSync(modelFile(dir, 'tensors'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(parseTensorLine(tensors[39], 64, 'tensors'), vectors[39]);
    const config = readFileSync(modelFile(dir, 'projectorConfig'), 'utf8');
    assert.match(config, /tensor_path: "00000\/default\/tensors.tsv"/);
    assert.match(config, /metadata_path: "00000\/default\/metadata.tsv"/);

    assert.equal(manifest.search.queries, Math.min(200, manifest.distinct));
    const opened = ModelIndex.open(dir);
    assert.deepEqual(opened.vectors.plan, manifest.search);
    assert.equal(resolveModelDir(undefined, { BOILER_MODEL_DIR: dir }), dir);
    const matches = opened.nearest(vectors[3], 5);
    assert.deepEqual(
      matches.map((m) => m.rank),
      [1, 2, 3, 4, 5],
    );
    const same = opened.nearest(vectors[3], 40).filter((m) => m.distance === 0);
    assert.ok(same.some((m) => m.coubId === 'c0003x' && m.url === 'https://coub.com/view/c0003x'));
    const withoutSelf = opened.nearest(vectors[3], 5, { exclude: opened.findClip('c0003x') });
    assert.ok(!withoutSelf.some((m) => m.coubId === 'c0003x'));
  });

  test('one that holds no clips (every wav failed) is refused for search, saying what to do', () => {
    const dir = join(scratch, 'model-empty');
    ModelDirWriter.open(dir, settings).commit({ calibrate: true });
    assert.throws(() => ModelIndex.open(dir), /model-empty holds no clips, so nothing can be found in it: run boiler index on wavs it can read/);
  });

  test('a rerun adds to what was committed; lines past the committed count are ignored', () => {
    const dir = join(scratch, 'model-b');
    const first = ModelDirWriter.open(dir, settings);
    vectors.slice(0, 25).forEach((v, i) => first.add(names[i], identity(names[i]), v));
    const plan = first.commit({ calibrate: true }).search;
    const committed = join(scratch, 'manifest-25.json');
    copyFileSync(modelFile(dir, 'manifest'), committed);
    vectors.slice(25, 32).forEach((v, i) => first.add(names[25 + i], identity(names[25 + i]), v));
    assert.deepEqual(first.commit({ calibrate: false }).search, plan, 'an intermediate commit keeps the plan it had');
    // A run killed after its tsv files and graph were renamed but before its manifest was.
    copyFileSync(committed, modelFile(dir, 'manifest'));
    assert.throws(() => ModelIndex.open(dir), /index\.hnsw is damaged \(it does not hold what manifest\.json committed\): run boiler index/);

    const resumed = ModelDirWriter.open(dir, settings);
    assert.equal(resumed.count, 25);
    assert.ok(resumed.has(names[24]) && !resumed.has(names[25]));
    vectors.slice(25).forEach((v, i) => resumed.add(names[25 + i], identity(names[25 + i]), v));
    resumed.commit({ calibrate: true });
    const opened = ModelIndex.open(dir);
    assert.deepEqual(
      opened.clips.map((c) => c.file),
      names,
    );
    assert.equal(opened.nearest(vectors[30], 1)[0].distance, 0);
  });

  test('a run killed before its final commit is calibrated by the next, even with nothing new to add', () => {
    const dir = join(scratch, 'model-e');
    const writer = ModelDirWriter.open(dir, settings);
    vectors.slice(0, 10).forEach((v, i) => writer.add(names[i], identity(names[i]), v));
    assert.equal(writer.commit({ calibrate: false }).search.queries, 0);
    assert.equal(ModelDirWriter.open(dir, settings).commit({ calibrate: true }).search.queries, ModelIndex.open(dir).manifest.distinct);
  });

  test('refuses to add to a directory made from another checkpoint or encoder', () => {
    const dir = join(scratch, 'model-c');
    ModelDirWriter.open(dir, settings).commit({ calibrate: true });
    const other = { ...settings, checkpoint: { ...settings.checkpoint!, sha256: 'b'.repeat(64) } };
    assert.throws(() => ModelDirWriter.open(dir, other), /was indexed with another checkpoint .*: remove it/);
    assert.throws(() => ModelDirWriter.open(dir, { ...settings, encoder: 'MeanFreqTopVQVAE' }), /was indexed with encoder BagTopVQVAE/);
  });

  test('a missing, foreign or truncated model directory is a one-line error', () => {
    assert.throws(() => resolveModelDir(undefined, {}), /pass --model-dir DIR or set BOILER_MODEL_DIR/);
    assert.throws(() => resolveModelDir(join(scratch, 'nope'), {}), /does not exist: run boiler index first/);
    assert.throws(() => resolveModelDir(scratch, {}), new RegExp(`no ${MODEL_FILES.manifest}`));
    const dir = join(scratch, 'model-d');
    const writer = ModelDirWriter.open(dir, settings);
    vectors.slice(0, 5).forEach((v, i) => writer.add(names[i], identity(names[i]), v));
    writer.commit({ calibrate: true });
    writeFileSync(modelFile(dir, 'tensors'), readFileSync(modelFile(dir, 'tensors'), 'utf8').split('\n').slice(0, 3).join('\n'));
    assert.throws(() => ModelIndex.open(dir), /tensors\.tsv is cut short/);
  });
});
