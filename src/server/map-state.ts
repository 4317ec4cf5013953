import type { ClipCatalog, ClipLabels } from '../search/clip-catalog.js';
import { mapInWorker } from '../search/map-worker.js';
import type { ModelIndex } from '../search/model-index.js';

/** GET /map's answer: every clip with its point on the plane and its label. */
export interface MapJson {
  count: number;
  ids: string[];
  titles: string[];
  x: number[];
  y: number[];
  /** Each clip's index into `labels`, −1 for none. */
  label: number[];
  labels: string[];
  labelSource: string | null;
}

/**
 * The map of a model directory's clips, computed on first use in a worker thread (map-projection
 * caches it in the model directory, so a restart or another worker reads it back): until it is
 * ready, `current()` says how far it is instead of making the request wait.
 */
export class MapState {
  private answer?: Promise<string>;
  private ready?: string;
  private progress = 0;

  constructor(
    private readonly index: ModelIndex,
    private readonly catalog: ClipCatalog,
    private readonly labels: ClipLabels | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The map's JSON once computed; else starts (or goes on) computing it and returns undefined. */
  current(): string | undefined {
    if (this.ready !== undefined) return this.ready;
    this.answer ??= this.compute().then(
      (json) => (this.ready = json),
      (error: unknown) => {
        this.answer = undefined; // the next request tries again
        throw error;
      },
    );
    this.answer.catch((error: unknown) => this.log(`the map could not be computed: ${(error as Error).message}`));
    return undefined;
  }

  /** How much of the map is computed, 0 to 1. */
  get done(): number {
    return this.progress;
  }

  private async compute(): Promise<string> {
    const { index, catalog } = this;
    const vectors = index.clips.map((_, i) => index.vectors.vectorOf(i));
    const points = await mapInWorker(index.dir, index.manifest, vectors, (done) => (this.progress = done));
    const { labels } = this;
    const json: MapJson = {
      count: catalog.clips.length,
      ids: catalog.clips.map((c) => c.id),
      titles: catalog.clips.map((c) => c.title),
      x: Array.from(points.x),
      y: Array.from(points.y),
      label: labels ? Array.from(labels.of) : catalog.clips.map(() => -1),
      labels: labels?.names ?? [],
      labelSource: labels?.source ?? null,
    };
    return JSON.stringify(json);
  }
}
