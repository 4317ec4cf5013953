import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { StartProgress } from '../progress.js';
import { calibrateSearch } from '../search/calibrate.js';
import { ModelIndex } from '../search/model-index.js';
import { VectorIndex } from '../search/vector-index.js';
import { mfccEmbeddings, randomEmbeddings, type BaselineName } from './baselines.js';
import { matchLabels, readLabelsFile } from './labels.js';
import { scoreRetrieval, type RetrievalScores } from './metrics.js';

export interface EvaluateOptions {
  modelDir: string;
  labelsFile: string;
  k: number;
  /** HNSW search breadth for the model's index (default: the model directory's). */
  ef?: number;
  /** Default: random, and mfcc where the wavs are known (wavDir, or the manifest's). */
  baselines?: readonly BaselineName[];
  /** Where the indexed wavs are, for the MFCC baseline (the model directory keeps only their names); default: the manifest's wavDir. */
  wavDir?: string;
  /** Seed of the random baseline. */
  seed: number;
  /** The mfcc baseline's embedding, one tick per clip. */
  progress?: StartProgress;
}

export interface EvaluationReport {
  modelDir: string;
  encoder: string;
  /** Clips in the index. */
  clips: number;
  /** Of them, clips the labels file labels. */
  labelled: number;
  /** Distinct labels on those clips. */
  labels: number;
  /** Keys of the labels file that name no clip of the index (left out). */
  unmatched: string[];
  k: number;
  /** The model's scores first, then each baseline's, by name. */
  scores: Record<string, RetrievalScores>;
}

/**
 * `boiler eval`: retrieval quality of a model directory on labelled clips, beside baselines
 * searched the same way over the same clips: the model directory's graph parameters, and the
 * search plan (exact, or the graph at an ef) that `boiler index` would calibrate for them.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  const index = ModelIndex.open(options.modelDir);
  const { clips, manifest } = index;
  const wavDir = options.wavDir ?? (manifest.wavDir && existsSync(manifest.wavDir) ? manifest.wavDir : undefined);
  const baselines = options.baselines ?? (wavDir ? ['random', 'mfcc'] : ['random']);
  if (baselines.includes('mfcc') && !wavDir) {
    throw new UserError('the mfcc baseline reads the indexed wavs, and the manifest names none that exists: pass --wav-dir DIR (the directory boiler index embedded), or --baseline random');
  }
  if (clips.length < 2) throw new UserError(`${options.modelDir} holds ${clips.length} clip(s): evaluation needs at least two`);
  const { labels, unmatched } = matchLabels(clips, readLabelsFile(options.labelsFile));
  const labelled = labels.filter(Boolean).length;
  if (labelled === 0) {
    throw new UserError(
      `none of the clips in ${options.labelsFile} is in ${options.modelDir}: its first column must name clips as the index does ` +
        `(wav file name or coub permalink, e.g. ${clips[0].coubId})`,
    );
  }
  const k = Math.min(options.k, clips.length - 1);

  const scores: Record<string, RetrievalScores> = {};
  scores.model = scoreRetrieval(labels, k, (query) =>
    index.vectors.search(index.vectors.vectorOf(query), k, { exclude: query, ef: options.ef }).map((n) => n.clip),
  );
  if (scores.model.queries === 0) {
    throw new UserError(`no two labelled clips in ${options.modelDir} share a label, so no clip has a neighbour to find: label more clips`);
  }
  for (const baseline of baselines) {
    const vectors =
      baseline === 'random'
        ? randomEmbeddings(clips.length, manifest.dimension, options.seed)
        : await mfccEmbeddings(wavDir!, clips.map((clip) => clip.file), options.progress);
    const searcher = VectorIndex.create(vectors[0].length, manifest.parameters, clips.length);
    for (const vector of vectors) searcher.add(vector);
    // Searched as boiler index would search these vectors: exact, or the graph at a calibrated ef.
    searcher.plan = calibrateSearch(searcher);
    scores[baseline] = scoreRetrieval(labels, k, (query) => searcher.search(vectors[query], k, { exclude: query, ef: options.ef }).map((n) => n.clip));
  }
  return {
    modelDir: options.modelDir,
    encoder: manifest.encoder,
    clips: clips.length,
    labelled,
    labels: new Set(labels.flatMap((set) => [...(set ?? [])])).size,
    unmatched,
    k,
    scores,
  };
}
