import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { UserError } from '../errors.js';
import { coubIdOfLabel } from '../search/coub.js';
import type { ClipRecord } from '../search/model-index.js';

/**
 * A labels file: one clip per line, then its labels.
 *
 *   blues.00000.wav,blues
 *   1dnm2b<TAB>rock;guitar
 *   https://coub.com/view/1dnm2b,rock,live
 *
 * CSV (comma, fields may be "double-quoted") or TSV (tab): `.tsv`/`.tab` files are TSV, `.csv`
 * files CSV, anything else TSV when its first line holds a tab. The first field names the clip
 * (see matchLabels); every further field is a label, and a field may hold several separated by
 * `;` or `|`. A clip on several lines gets all their labels. Blank lines and lines starting with
 * `#` are skipped, and so is a first line whose first field is a column name such as `clip`.
 */
export interface LabelledClip {
  key: string;
  labels: Set<string>;
  /** The line it was first named on, for messages. */
  line: number;
}

const HEADER_NAMES = new Set(['clip', 'clip_id', 'file', 'filename', 'file_name', 'path', 'wav', 'permalink', 'coub', 'coub_id', 'id', 'url', 'track', 'track_id']);

export function readLabelsFile(path: string): LabelledClip[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read labels file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): pass --labels FILE, a CSV or TSV of clip,label`);
  }
  return parseLabels(text, path);
}

/** Parses a labels file's text; `name` is its path, for messages. */
export function parseLabels(text: string, name: string): LabelledClip[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const separator = labelSeparator(name, lines.find((line) => line.trim() !== '') ?? '');
  const byKey = new Map<string, LabelledClip>();
  let first = true;
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `${name}:${i + 1}`;
    const fields = separator === '\t' ? line.split('\t') : splitCsvLine(line, where);
    const key = fields[0].trim();
    if (first && HEADER_NAMES.has(key.toLowerCase())) {
      first = false;
      return;
    }
    first = false;
    const labels = fields.slice(1).flatMap((field) => field.split(/[;|]/)).map((label) => label.trim()).filter(Boolean);
    if (!key) throw new UserError(`${where}: the first field (the clip) is empty: each line is clip${separator === '\t' ? '<TAB>' : ','}label`);
    if (labels.length === 0) {
      throw new UserError(`${where}: ${key} has no label: each line is clip${separator === '\t' ? '<TAB>' : ','}label (several labels: more fields, or label;label)`);
    }
    const entry = byKey.get(key) ?? { key, labels: new Set<string>(), line: i + 1 };
    for (const label of labels) entry.labels.add(label);
    byKey.set(key, entry);
  });
  if (byKey.size === 0) throw new UserError(`${name} names no clip: each line is clip,label (CSV) or clip<TAB>label (TSV)`);
  return [...byKey.values()];
}

function labelSeparator(name: string, firstLine: string): ',' | '\t' {
  const extension = extname(name).toLowerCase();
  if (extension === '.tsv' || extension === '.tab') return '\t';
  if (extension === '.csv') return ',';
  return firstLine.includes('\t') ? '\t' : ',';
}

/** One CSV line's fields (RFC 4180 quoting: "a, b" is one field, "" inside quotes is a quote). */
export function splitCsvLine(line: string, where: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  if (quoted) throw new UserError(`${where}: a quoted field is not closed: end it with " (labels files hold one clip per line)`);
  fields.push(field);
  return fields;
}

export interface MatchedLabels {
  /** For each clip of the index, its labels, or undefined when the file does not label it. */
  labels: (Set<string> | undefined)[];
  /** Keys of the labels file that name no clip of the index. */
  unmatched: string[];
}

/**
 * Finds each labelled clip in the index. A key may be the wav file name (`blues.00000.wav`), its
 * stem or a path ending in it (`genres/blues/blues.00000.au`), a coub permalink (`1dnm2b`) or a
 * coub URL, as metadata.tsv lists them.
 */
export function matchLabels(clips: readonly ClipRecord[], labelled: readonly LabelledClip[]): MatchedLabels {
  const clipOf = new Map<string, number>();
  // Exact names first, so that a stem shared by two files cannot hide a file's own name.
  clips.forEach((clip, i) => {
    for (const name of [clip.file, clip.coubId]) if (!clipOf.has(name)) clipOf.set(name, i);
  });
  clips.forEach((clip, i) => {
    const stem = basename(clip.file, extname(clip.file));
    if (!clipOf.has(stem)) clipOf.set(stem, i);
  });
  const labels: (Set<string> | undefined)[] = clips.map(() => undefined);
  const unmatched: string[] = [];
  for (const { key, labels: own } of labelled) {
    const clip = candidateNames(key).map((name) => clipOf.get(name)).find((found) => found !== undefined);
    if (clip === undefined) {
      unmatched.push(key);
      continue;
    }
    labels[clip] = new Set([...(labels[clip] ?? []), ...own]);
  }
  return { labels, unmatched };
}

/** The names a labels-file key may match, most specific first. */
function candidateNames(key: string): string[] {
  const id = coubIdOfLabel(key);
  const file = basename(id.replace(/\\/g, '/'));
  return [key, id, file, basename(file, extname(file))];
}
