import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Manifest } from '../src/search/model-manifest.js';
import { MAP_FILE, mapFor, neighboursFor, projectToPlane, type PlanePoints } from '../src/search/map-projection.js';
import { ModelDirWriter } from '../src/search/model-dir-writer.js';
import { randomUnitVectors } from './helpers/random-vectors.js';
import { scratchDir } from './helpers/scratch.js';

const DIMENSION = 64;

/** `perCluster` vectors around each of `clusters` random directions (noise of norm 0.3: far tighter than the clusters' spacing). */
function clustered(clusters: number, perCluster: number, seed: number): { vectors: Float32Array[]; cluster: number[] } {
  const centres = randomUnitVectors(clusters, DIMENSION, seed);
  const noise = randomUnitVectors(clusters * perCluster, DIMENSION, seed + 1);
  const cluster = noise.map((_, i) => i % clusters);
  return { vectors: noise.map((e, i) => centres[cluster[i]].map((c, j) => c + 0.3 * e[j])), cluster };
}

const round5 = (v: number) => Math.round(v * 1e5) / 1e5;

function assertInUnitSquare(points: PlanePoints, count: number): void {
  assert.equal(points.x.length, count);
  assert.equal(points.y.length, count);
  for (const v of [...points.x, ...points.y]) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `coordinate ${v} is not in [0, 1]`);
}

describe('projectToPlane', () => {
  /** Asserts that every point's nearest point on the plane is of its own cluster. */
  function assertNearestInOwnCluster({ x, y }: PlanePoints, cluster: number[]): void {
    for (let i = 0; i < cluster.length; i++) {
      let nearest = -1;
      let best = Infinity;
      for (let j = 0; j < cluster.length; j++) {
        const distance = Math.hypot(x[i] - x[j], y[i] - y[j]);
        if (j !== i && distance < best) [nearest, best] = [j, distance];
      }
      assert.equal(cluster[nearest], cluster[i], `point ${i} (cluster ${cluster[i]}) is nearest point ${nearest} (cluster ${cluster[nearest]})`);
    }
  }

  test('three well-separated clusters land in three separate groups: every point nearest a point of its own cluster', async () => {
    const { vectors, cluster } = clustered(3, 40, 7);
    const { x, y } = await projectToPlane(vectors, { seed: 3 });
    assertInUnitSquare({ x, y }, vectors.length);
    assertNearestInOwnCluster({ x, y }, cluster);
    // Groups, not interleaved strands: each cluster's points lie closer to its centre than half the way to another's.
    const centres = [0, 1, 2].map((c) => {
      const members = cluster.flatMap((k, i) => (k === c ? [i] : []));
      return [members.reduce((s, i) => s + x[i], 0) / members.length, members.reduce((s, i) => s + y[i], 0) / members.length];
    });
    const gap = Math.min(...[[0, 1], [0, 2], [1, 2]].map(([a, b]) => Math.hypot(centres[a][0] - centres[b][0], centres[a][1] - centres[b][1])));
    const spread = Math.max(...cluster.map((c, i) => Math.hypot(x[i] - centres[c][0], y[i] - centres[c][1])));
    assert.ok(spread < gap / 2, `clusters overlap: a point lies ${spread.toFixed(3)} from its centre, centres ${gap.toFixed(3)} apart`);
  });

  test("a small index's groups stay apart too: four groups of three, as the demo's clips", async () => {
    assert.deepEqual([2, 3, 12, 100, 225, 10_000].map(neighboursFor), [2, 2, 3, 10, 15, 15]);
    for (const seed of [1, 2, 3]) {
      const { vectors, cluster } = clustered(4, 3, 20 + seed);
      assertNearestInOwnCluster(await projectToPlane(vectors, { seed }), cluster);
    }
  });

  test('the same seed gives the same map; another seed another', async () => {
    const { vectors } = clustered(3, 10, 11);
    const [first, again, other] = await Promise.all([5, 5, 6].map((seed) => projectToPlane(vectors, { seed })));
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
  });

  test('high-dimensional vectors are reduced by PCA before UMAP, and progress counts every step to its total', async () => {
    const { vectors } = clustered(2, 30, 13);
    // 64 > 20: the PCA's five passes over the vectors, the neighbour graph, 500 epochs.
    const reports: [number, number][] = [];
    await projectToPlane(vectors, { pcaDimensions: 20, onProgress: (done, total) => reports.push([done, total]) });
    assert.deepEqual(reports, Array.from({ length: 5 + 1 + 500 }, (_, i) => [i + 1, 506]));
  });

  test('0, 1, 2, 3 and 5 clips, identical vectors and zero vectors give finite points in [0, 1]', async () => {
    const vectors = randomUnitVectors(5, DIMENSION, 17);
    assert.deepEqual(await projectToPlane([]), { x: new Float32Array(0), y: new Float32Array(0) });
    assert.deepEqual(await projectToPlane(vectors.slice(0, 1)), { x: Float32Array.of(0.5), y: Float32Array.of(0.5) });
    for (const count of [2, 3, 5]) assertInUnitSquare(await projectToPlane(vectors.slice(0, count)), count);
    const same = Array.from({ length: 20 }, () => vectors[0]);
    assert.deepEqual(await projectToPlane(same), { x: new Float32Array(20).fill(0.5), y: new Float32Array(20).fill(0.5) });
    const zeros = Array.from({ length: 20 }, () => new Float32Array(DIMENSION));
    assertInUnitSquare(await projectToPlane([...zeros, ...vectors]), 25);
  });

  test('duplicates of a vector share its point', async () => {
    const { vectors } = clustered(3, 10, 19);
    const { x, y } = await projectToPlane([...vectors, ...vectors.slice(0, 5)]);
    for (let i = 0; i < 5; i++) assert.deepEqual([x[30 + i], y[30 + i]], [x[i], y[i]]);
  });

  test('lets the event loop run while it computes', async () => {
    const { vectors } = clustered(3, 200, 23);
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    await projectToPlane(vectors);
    counting = false;
    // 600 points take seconds: a projection that never yields would let one turn through at most.
    assert.ok(turns > 2, `the event loop turned ${turns} times`);
  });
});

/** A committed model directory of `vectors`, and its manifest. */
function modelDir(vectors: Float32Array[]): { dir: string; manifest: Manifest } {
  const dir = scratchDir('boiler-map-');
  const writer = ModelDirWriter.open(dir, {
    encoder: 'BagTopVQVAE',
    dimension: DIMENSION,
    checkpoint: { path: 'map-test', sha256: '0'.repeat(64) },
    parameters: { space: 'cosine', m: 16, efConstruction: 200, batchSize: 32 },
  });
  vectors.forEach((v, i) => writer.add(`clip-${i}.wav`, { coubId: `c${i}`, label: `https://coub.com/view/c${i}` }, v));
  return { dir, manifest: writer.commit({ calibrate: false }) };
}

describe('mapFor', () => {
  const { vectors } = clustered(3, 10, 29);
  const others = clustered(3, 10, 31).vectors;

  test('stores the map in map.json, reuses it while the tensors are the same, recomputes it when they change', async () => {
    const { dir, manifest } = modelDir(vectors);
    const path = join(dir, MAP_FILE);
    const first = await mapFor(dir, manifest, vectors);
    const text = readFileSync(path, 'utf8');
    const stored = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(stored, { format: 'boiler-map/1', tensors: manifest.files?.tensors?.sha256, count: 30, x: first.x, y: first.y });
    assert.ok(first.x.every((v) => Number.isFinite(v) && v >= 0 && v <= 1 && round5(v) === v));
    const written = statSync(path).mtimeMs;

    // Other vectors under the same tensors key: a reused map is the stored one, a recomputed map would differ.
    assert.deepEqual(await mapFor(dir, manifest, others), first);
    assert.equal(readFileSync(path, 'utf8'), text);
    assert.equal(statSync(path).mtimeMs, written);

    const changed = { ...manifest, files: { ...manifest.files, tensors: { bytes: 1, sha256: 'f'.repeat(64) } } };
    const recomputed = await mapFor(dir, changed, others);
    const fresh = await projectToPlane(others);
    assert.deepEqual(recomputed, { x: Array.from(fresh.x, round5), y: Array.from(fresh.y, round5) });
    assert.notDeepEqual(recomputed, first);
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { tensors: string }).tensors, 'f'.repeat(64));
  });

  test('recomputes a damaged map.json, and one of another clip count', async () => {
    const { dir, manifest } = modelDir(vectors);
    const first = await mapFor(dir, manifest, vectors);
    const path = join(dir, MAP_FILE);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, 40));
    assert.deepEqual(await mapFor(dir, manifest, vectors), first);
    assert.equal(readFileSync(path, 'utf8'), text);
    const fewer = await mapFor(dir, manifest, vectors.slice(0, 20));
    assert.equal(fewer.x.length, 20);
  });

  test('a directory it cannot write still gets its map, uncached', { skip: process.getuid?.() === 0 && 'root writes through chmod 555' }, async () => {
    const { dir, manifest } = modelDir(vectors);
    chmodSync(dir, 0o555);
    try {
      const points = await mapFor(dir, manifest, vectors);
      assert.equal(points.x.length, 30);
      assert.ok([...points.x, ...points.y].every((v) => v >= 0 && v <= 1));
      assert.equal(existsSync(join(dir, MAP_FILE)), false);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});
