import { DecodeError } from '../audio/transcode.js';
import { UserError, describeError } from '../errors.js';
import { coubIdOfLabel } from './coub.js';
import { MediaEmbedder } from './media-embedder.js';
import type { Match, ModelIndex } from './model-index.js';
import { parseEmbeddingJson } from './query-vector.js';

/** What `boiler query` searches by: media files, an indexed clip, or an embedding given as JSON. */
export type QuerySource = { files: string[] } | { id: string } | { embedding: string };

export interface QueryOptions {
  k: number;
  ef?: number;
  /** Needed for file queries. */
  ffmpegPath?: string;
}

/** One query's answer: its matches, or why it could not be searched (a file ffmpeg cannot decode). */
export interface QueryAnswer {
  query: string;
  matches?: Match[];
  /** For a media file: the seconds of its audio that were embedded, in how many windows. */
  audio?: { seconds: number; windows: number };
  error?: string;
}

/** Runs the queries against an opened model directory, one answer per query, in order. */
export async function runQueries(index: ModelIndex, source: QuerySource, options: QueryOptions): Promise<QueryAnswer[]> {
  const search = { ef: options.ef };
  if ('id' in source) {
    const clip = index.findClip(coubIdOfLabel(source.id));
    if (clip === undefined) {
      throw new UserError(`${source.id} is not in ${index.dir}: --id takes a coub permalink or, for other clips, the wav file name, as metadata.tsv lists them`);
    }
    return [{ query: source.id, matches: index.nearest(index.vectors.vectorOf(clip), options.k, { ...search, exclude: clip }) }];
  }
  if ('embedding' in source) {
    const vector = parseEmbeddingJson(source.embedding, index.manifest.dimension);
    return [{ query: 'embedding', matches: index.nearest(vector, options.k, search) }];
  }
  if (!options.ffmpegPath) throw new Error('file queries need ffmpeg');
  const embedder = await MediaEmbedder.open(index.dir, options.ffmpegPath);
  try {
    const answers: QueryAnswer[] = [];
    for (const file of source.files) {
      try {
        const { vector, seconds, windows } = await embedder.embedFile(file);
        answers.push({ query: file, matches: index.nearest(vector, options.k, search), audio: { seconds, windows } });
      } catch (error) {
        if (!(error instanceof DecodeError || error instanceof UserError)) throw error;
        answers.push({ query: file, error: describeError(error) });
      }
    }
    return answers;
  } finally {
    await embedder.close();
  }
}
