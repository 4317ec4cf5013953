import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { matchLabels, readLabelsFile } from '../eval/labels.js';
import { readCrawledCoubs } from './coub.js';
import type { ModelIndex } from './model-index.js';

/** What a person sees of an indexed clip: its name, where it comes from and where its audio is. */
export interface ClipInfo {
  /** The permalink, or the wav file name for a clip that is not a coub (the API's coub_id). */
  id: string;
  /** The crawl's title, else the wav file's stem. */
  title: string;
  /** The metadata.tsv line. */
  url: string;
  /** The coub's page, for a coub. */
  coub: string | null;
  category: string | null;
  /** The crawled audio file when it is still there, else the wav it was indexed from; null when neither is known. */
  audioPath: string | null;
}

/** How the map colours the clips: a label index per clip (−1: none) into `names`. */
export interface ClipLabels {
  names: string[];
  of: Int32Array;
  /** Where the labels come from, for the legend. */
  source: string;
}

/**
 * The indexed clips with the metadata the crawl recorded (title, category, audio), looked up by
 * id: the only way a request names a clip, so that no id is ever joined into a path.
 */
export class ClipCatalog {
  readonly clips: readonly ClipInfo[];
  private readonly index: ModelIndex;

  constructor(index: ModelIndex) {
    this.index = index;
    const wavDir = index.manifest.wavDir;
    const crawled = wavDir === undefined ? undefined : readCrawledCoubs(wavDir);
    this.clips = index.clips.map((clip) => {
      const crawl = crawled?.get(clip.coubId);
      const audio = crawl?.audio && existsSync(crawl.audio) ? crawl.audio : wavDir === undefined ? null : join(wavDir, clip.file);
      return {
        id: clip.coubId,
        title: crawl?.title || basename(clip.file, extname(clip.file)),
        url: clip.url,
        coub: clip.url === clip.coubId ? null : clip.url,
        category: crawl?.category || null,
        audioPath: audio,
      };
    });
  }

  /** The clip with this id, or undefined. */
  find(id: string): { clip: ClipInfo; position: number } | undefined {
    const position = this.index.findClip(id);
    return position === undefined ? undefined : { clip: this.clips[position], position };
  }

  /** Clips whose id or title contains `text` (case-insensitive), in index order: the first `limit` and how many there are. */
  search(text: string, limit: number): { total: number; clips: ClipInfo[] } {
    const needle = text.trim().toLowerCase();
    const found = needle ? this.clips.filter((c) => c.id.toLowerCase().includes(needle) || c.title.toLowerCase().includes(needle)) : this.clips;
    return { total: found.length, clips: found.slice(0, limit) };
  }

  /**
   * Labels for colouring: from an eval labels file (a clip's first label), else the crawl's
   * categories; undefined when neither names any clip.
   */
  labels(labelsFile?: string): ClipLabels | undefined {
    const names: string[] = [];
    const numbers = new Map<string, number>();
    const numberOf = (name: string | undefined) => {
      if (name === undefined) return -1;
      if (!numbers.has(name)) numbers.set(name, names.push(name) - 1);
      return numbers.get(name)!;
    };
    if (labelsFile !== undefined) {
      const { labels } = matchLabels(this.index.clips, readLabelsFile(labelsFile));
      const of = Int32Array.from(labels, (set) => numberOf(set && [...set][0]));
      return { names, of, source: `labels file ${basename(labelsFile)}` };
    }
    const of = Int32Array.from(this.clips, (clip) => numberOf(clip.category ?? undefined));
    return names.length ? { names, of, source: 'crawl categories' } : undefined;
  }
}
