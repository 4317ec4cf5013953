import { readdirSync, statSync } from 'node:fs';
import { extname, join, parse, relative, resolve } from 'node:path';

/**
 * The extensions `boiler convert` takes as audio or video, most preferred first: when two inputs
 * would give the same output name, the one whose extension comes first wins. Audio files come
 * before videos because a coub's separate audio track is whole, while the sound inside its video
 * is cut to the video's length (or absent: the crawler's videos are muted); lossless before lossy.
 */
export const MEDIA_EXTENSIONS = [
  'wav', 'flac', 'aiff', 'aif', 'm4a', 'mp3', 'ogg', 'oga', 'opus', 'aac', 'wma', 'amr',
  'mp4', 'm4v', 'webm', 'mkv', 'mov', 'avi', 'flv', '3gp', 'mpg', 'mpeg', 'wmv',
];

function extensionRank(path: string): number {
  return MEDIA_EXTENSIONS.indexOf(extname(path).slice(1).toLowerCase());
}

export function isMediaFile(path: string): boolean {
  return extensionRank(path) >= 0;
}

/**
 * Every media file under `root`, recursively, as paths relative to `root` in sorted order.
 * `exclude` (the output directory, when it lies inside the input) is not descended into.
 */
export function listMediaFiles(root: string, exclude?: string): string[] {
  const skip = exclude === undefined ? undefined : resolve(exclude);
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // Symbolic links are followed so that a directory of links to media works like the media.
      const kind = entry.isSymbolicLink() ? statSync(path, { throwIfNoEntry: false }) : entry;
      if (kind?.isDirectory()) {
        if (resolve(path) !== skip) walk(path);
      } else if (kind?.isFile() && isMediaFile(entry.name)) {
        found.push(relative(root, path));
      }
    }
  };
  walk(root);
  return found.sort(comparePaths);
}

/** Plain code-unit order, the same whatever the locale. */
function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The flat output name a media file becomes, as the original's `wav/{/.}.wav`. */
export function wavName(source: string): string {
  return `${parse(source).name}.wav`;
}

/** An input left out because another input gives the same output name. */
export interface NameClash {
  source: string;
  output: string;
  /** The input that gives `output` instead. */
  keptSource: string;
}

export interface OutputNames {
  /** Output name → the one input converted to it. */
  chosen: Map<string, string>;
  clashes: NameClash[];
}

/**
 * Gives each input its output name. Where several inputs share one, the preferred extension
 * (MEDIA_EXTENSIONS order) wins, then the first path in sorted order; the others are clashes.
 */
export function assignOutputNames(sources: string[]): OutputNames {
  const byOutput = new Map<string, string[]>();
  for (const source of sources) {
    const output = wavName(source);
    byOutput.set(output, [...(byOutput.get(output) ?? []), source]);
  }
  const chosen = new Map<string, string>();
  const clashes: NameClash[] = [];
  for (const [output, candidates] of byOutput) {
    const [kept, ...others] = [...candidates].sort((a, b) => extensionRank(a) - extensionRank(b) || comparePaths(a, b));
    chosen.set(output, kept);
    for (const source of others) clashes.push({ source, output, keptSource: kept });
  }
  clashes.sort((a, b) => comparePaths(a.source, b.source));
  return { chosen, clashes };
}
