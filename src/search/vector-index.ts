import { existsSync, renameSync } from 'node:fs';
import hnswlib from 'hnswlib-node';
import { temporaryName } from '../atomic-file.js';
import { tensorLine } from './projector.js';

const { BruteforceSearch, HierarchicalNSW } = hnswlib;

/** How the HNSW graph is built (hnswlib's M and efConstruction). */
export interface GraphParameters {
  m: number;
  efConstruction: number;
}

/**
 * How searches run unless told otherwise: exactly (hnswlib's brute force), or by walking the
 * graph with breadth `ef`. calibrateSearch (calibrate.ts) picks the faster one that reaches the
 * recall target on the index's own data.
 */
export interface SearchPlan {
  method: 'exact' | 'graph';
  ef: number;
}

/** Before calibration: exact search is always right, and fast on the small indexes that go uncalibrated. */
export const UNCALIBRATED: SearchPlan = { method: 'exact', ef: 100 };

/** A clip (by its position in the index) and its cosine distance, 1 − cos θ, to the query. */
export interface Neighbour {
  clip: number;
  distance: number;
}

export interface SearchOptions {
  /** Walk the graph with this breadth, whatever the plan says. */
  ef?: number;
  method?: SearchPlan['method'];
  /** A clip to leave out of the answer: the query clip itself, for `--id`. */
  exclude?: number;
}

/** The seed of hnswlib's level generator: the same vectors give the same graph. */
const RANDOM_SEED = 100;

/**
 * Cosine nearest-neighbour search over clips, with each distinct vector stored once.
 *
 * Many clips share an embedding exactly (a BagTop embedding counts 23 codes out of 64), and
 * duplicates both waste graph links and hurt HNSW recall. So the graph holds distinct vectors,
 * labelled by order of first appearance, and each remembers the clips that have it; a search
 * finds distinct vectors and expands them into clips. Searches follow the index's `plan`:
 * exact, or the graph at a breadth `ef`.
 */
export class VectorIndex {
  readonly dimension: number;
  readonly parameters: GraphParameters;
  plan: SearchPlan = UNCALIBRATED;
  /** For each distinct vector (graph label), the clips that have it, in index order. */
  private readonly clipsOf: number[][] = [];
  /** For each clip, its distinct vector's label. */
  private readonly distinctOf: number[] = [];
  private readonly labelOfLine = new Map<string, number>();
  private readonly vectors: Float32Array[] = [];
  private graph: InstanceType<typeof HierarchicalNSW>;
  private graphEf = -1;
  /** Whether the graph came from a file as it is (false once built or extended in memory). */
  graphWasSaved = false;
  /** Built on the first exact search and dropped when vectors are added. */
  private bruteForce: InstanceType<typeof BruteforceSearch> | undefined;

  private constructor(dimension: number, parameters: GraphParameters, graph: InstanceType<typeof HierarchicalNSW>) {
    this.dimension = dimension;
    this.parameters = parameters;
    this.graph = graph;
  }

  static create(dimension: number, parameters: GraphParameters, capacity = MIN_CAPACITY): VectorIndex {
    return new VectorIndex(dimension, parameters, newGraph(dimension, parameters, capacity));
  }

  /**
   * An index over stored clips (`vectors` in index order, with their tensors.tsv `lines`), taking
   * the graph from `graphFile` when that file holds exactly their distinct vectors (the caller
   * has checked the file against its manifest). Otherwise the graph is built anew when `rebuild`,
   * else there is no index (undefined).
   */
  static restore(stored: {
    dimension: number;
    parameters: GraphParameters;
    vectors: Float32Array[];
    lines: string[];
    graphFile: string;
    rebuild: boolean;
  }): VectorIndex | undefined {
    const { dimension, parameters } = stored;
    const index = VectorIndex.create(dimension, parameters, 1);
    const distinct = index.groupClips(stored.vectors, stored.lines);
    const saved = readGraph(stored.graphFile, dimension);
    if (saved && saved.getCurrentCount() === distinct.length) {
      index.graph = saved;
      index.graphWasSaved = true;
      return index;
    }
    if (!stored.rebuild) return undefined;
    index.graph = newGraph(dimension, parameters, distinct.length);
    distinct.forEach((vector, label) => index.graph.addPoint(Array.from(vector), label));
    return index;
  }

  /** Clips indexed. */
  get count(): number {
    return this.distinctOf.length;
  }

  /** Distinct vectors among them: the graph's points. */
  get distinct(): number {
    return this.vectors.length;
  }

  /** A distinct vector, by its graph label. */
  distinctVector(label: number): Float32Array {
    return this.vectors[label];
  }

  /** A clip's vector, as it was added. */
  vectorOf(clip: number): Float32Array {
    return this.vectors[this.distinctOf[clip]];
  }

  /** Adds a clip's vector (a zero vector has no direction and is refused); returns the clip's position. */
  add(vector: Float32Array): number {
    if (vector.length !== this.dimension) throw new Error(`expected a ${this.dimension}-dimensional vector, got ${vector.length}`);
    if (!vector.some((v) => v !== 0)) throw new Error('the embedding is all zeros, so it has no cosine neighbours');
    const line = tensorLine(vector);
    if (!this.labelOfLine.has(line)) {
      // Into the graph first: if hnswlib refuses the point, the index is left as it was.
      const label = this.distinct;
      this.reserve(label + 1);
      this.graph.addPoint(Array.from(vector), label);
      this.graphWasSaved = false;
      this.bruteForce = undefined;
    }
    this.groupClips([vector], [line]);
    return this.count - 1;
  }

  /** Grows the graph to hold `points`, at least doubling it so that adding clip by clip stays linear. */
  private reserve(points: number): void {
    const capacity = this.graph.getMaxElements();
    if (points <= capacity) return;
    this.graph.resizeIndex(graphCapacity(Math.max(points, 2 * capacity)));
  }

  /**
   * Records each vector's clip under its distinct vector, creating new labels for vectors not seen
   * before; returns the new distinct vectors (those the graph still has to get), in label order.
   * The tensors.tsv line (tensorLine) is a vector's identity: equal lines are equal float32 bits,
   * and −0 equals 0.
   */
  private groupClips(vectors: Float32Array[], lines: string[]): Float32Array[] {
    const fresh: Float32Array[] = [];
    for (const [i, vector] of vectors.entries()) {
      const line = lines[i];
      let label = this.labelOfLine.get(line);
      if (label === undefined) {
        label = this.vectors.length;
        this.labelOfLine.set(line, label);
        this.vectors.push(vector);
        this.clipsOf.push([]);
        fresh.push(vector);
      }
      this.clipsOf[label].push(this.distinctOf.length);
      this.distinctOf.push(label);
    }
    return fresh;
  }

  /** The `k` clips nearest to `query` by cosine distance, nearest first. */
  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): Neighbour[] {
    const wanted = Math.min(k + (options.exclude === undefined ? 0 : 1), this.distinct);
    if (wanted === 0) return [];
    const found = this.searchDistinct(Array.from(query), wanted, options);
    const neighbours: Neighbour[] = [];
    // Each distinct vector has at least one clip, so `wanted` of them give at least k clips.
    for (let i = 0; i < found.neighbors.length && neighbours.length < k; i++) {
      const distance = Math.max(0, found.distances[i]);
      for (const clip of this.clipsOf[found.neighbors[i]]) {
        if (clip === options.exclude) continue;
        neighbours.push({ clip, distance });
        if (neighbours.length === k) break;
      }
    }
    return neighbours;
  }

  /** The `k` distinct vectors nearest to `point`: graph labels and distances, nearest first. */
  searchDistinct(point: number[], k: number, options: Pick<SearchOptions, 'ef' | 'method'> = {}): { distances: number[]; neighbors: number[] } {
    const method = options.method ?? (options.ef === undefined ? this.plan.method : 'graph');
    if (method === 'exact') return this.exactSearcher().searchKnn(point, k);
    const ef = options.ef ?? this.plan.ef;
    if (ef !== this.graphEf) {
      this.graph.setEf(ef);
      this.graphEf = ef;
    }
    return this.graph.searchKnn(point, k);
  }

  private exactSearcher(): InstanceType<typeof BruteforceSearch> {
    if (!this.bruteForce) {
      this.bruteForce = new BruteforceSearch('cosine', this.dimension);
      this.bruteForce.initIndex(Math.max(this.distinct, 1));
      this.vectors.forEach((vector, label) => this.bruteForce!.addPoint(Array.from(vector), label));
    }
    return this.bruteForce;
  }

  /** Writes the graph atomically (temporary name, then rename). */
  saveGraph(path: string): void {
    const temporary = temporaryName(path);
    this.graph.writeIndexSync(temporary);
    renameSync(temporary, path);
  }
}

/**
 * The graph saved at `path`, or undefined when there is none, it cannot be read, or it holds no
 * points. hnswlib loads a graph with room for exactly the points it holds, so an empty one would
 * come back with capacity 0, which it can neither add to nor resize: an empty graph is built anew.
 */
function readGraph(path: string, dimension: number): InstanceType<typeof HierarchicalNSW> | undefined {
  if (!existsSync(path)) return undefined;
  const graph = new HierarchicalNSW('cosine', dimension);
  try {
    graph.readIndexSync(path);
  } catch {
    return undefined;
  }
  return graph.getCurrentCount() > 0 && graph.getMaxElements() >= graph.getCurrentCount() ? graph : undefined;
}

/** Room for fewer points than this is not worth a graph allocation of its own. */
const MIN_CAPACITY = 1024;

/** A capacity hnswlib can allocate: a whole number from MIN_CAPACITY up (it takes 32-bit counts). */
function graphCapacity(points: number): number {
  if (!Number.isInteger(points) || points < 0 || points >= 2 ** 32) throw new Error(`cannot size a graph for ${points} points`);
  return Math.max(points, MIN_CAPACITY);
}

function newGraph(dimension: number, parameters: GraphParameters, points: number): InstanceType<typeof HierarchicalNSW> {
  const graph = new HierarchicalNSW('cosine', dimension);
  graph.initIndex(graphCapacity(points), parameters.m, parameters.efConstruction, RANDOM_SEED);
  return graph;
}
