import { join } from 'node:path';
import { CLIP_SAMPLES, clipWindows, readWav, type ClipWindows } from '../audio/clip.js';
import { describeError } from '../errors.js';
import { standardiseVector, type EmbeddingStatistics } from './standardise.js';
import type { ClipEncoder, EmbeddingSettings } from './types.js';

// Re-exported where the library's entry point and earlier users import them from.
export type { EmbeddingSettings } from './types.js';

/** One clip's vector, and how much of its audio went into it. */
export interface ClipEmbedding {
  vector: Float32Array;
  seconds: number;
  windows: number;
}

/**
 * Embeds clips in one encoder run over all their windows, then gives each clip the mean of its
 * windows' embeddings, standardised when `statistics` are given (pooling comes first: the
 * statistics are those of pooled clips).
 */
export async function embedClips(encoder: ClipEncoder, clips: readonly ClipWindows[], statistics?: EmbeddingStatistics): Promise<ClipEmbedding[]> {
  const count = clips.reduce((sum, clip) => sum + clip.windows.length, 0);
  const wavs = new Float32Array(count * CLIP_SAMPLES);
  let at = 0;
  for (const clip of clips) for (const window of clip.windows) wavs.set(window, at++ * CLIP_SAMPLES);
  const rows = count ? await encoder.embed(wavs, count) : new Float32Array(0);
  const { dimension } = encoder;
  let row = 0;
  return clips.map(({ windows, seconds }) => {
    const pooled = new Float32Array(dimension);
    for (const end = row + windows.length; row < end; row++) {
      for (let d = 0; d < dimension; d++) pooled[d] += rows[row * dimension + d] / windows.length;
    }
    return { vector: statistics ? standardiseVector(pooled, statistics) : pooled, seconds, windows: windows.length };
  });
}

export interface EmbedWavsOptions {
  wavDir: string;
  /** Windows per encoder run: clips are added to a run until it holds this many (a long clip may make one run alone). */
  batchSize: number;
  settings: EmbeddingSettings;
  /** Called for a wav that cannot be read, which is left out. */
  onUnreadable: (file: string, reason: string) => void;
}

/**
 * Embeds wav files (names in `wavDir`) batch by batch, yielding each batch's files with their
 * embeddings; reading the next batch overlaps the encoder's work on the current one.
 */
export async function* embedWavFiles(encoder: ClipEncoder, files: readonly string[], options: EmbedWavsOptions): AsyncGenerator<{ file: string; embedding: ClipEmbedding }[]> {
  let position = 0;
  const load = () => {
    const loaded: { file: string; clip: ClipWindows }[] = [];
    let windows = 0;
    while (position < files.length && windows < options.batchSize) {
      const file = files[position++];
      try {
        const clip = clipWindows(readWav(join(options.wavDir, file)), options.settings.window);
        loaded.push({ file, clip });
        windows += clip.windows.length;
      } catch (error) {
        options.onUnreadable(file, describeError(error));
      }
    }
    return loaded;
  };
  let batch = load();
  while (batch.length > 0) {
    const embedding = embedClips(encoder, batch.map(({ clip }) => clip), options.settings.statistics);
    const current = batch;
    batch = load();
    const embeddings = await embedding;
    yield current.map(({ file }, i) => ({ file, embedding: embeddings[i] }));
  }
}
