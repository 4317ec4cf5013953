import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { WindowMode } from '../audio/clip.js';
import { listWavFiles } from '../audio/wav-files.js';
import { UserError } from '../errors.js';
import type { EncoderName } from '../model/encoders.js';
import { MFCC_ENCODER } from '../model/encoders.js';
import { TfjsEncoder } from '../model/tfjs-encoder.js';
import { embedWavFiles } from './clip-embedder.js';
import { compileEncoder, compileMfccEncoder, type CompiledEncoder } from './encoder-file.js';
import { indexWavs, NothingIndexed, type IndexSummary, type IndexWavsOptions } from './index-wavs.js';
import { DamagedManifest, readManifest } from './model-manifest.js';
import { mfccModelDirFor, modelDirFor, modelFile } from './model-dir.js';
import type { ClipEncoder, IndexParameters, Manifest } from './types.js';
import { ModelDirWriter } from './model-dir-writer.js';
import { embeddingStatistics, STATISTICS_SAMPLE, standardisedByDefault, statisticsSampleOrder, type EmbeddingStatistics } from './standardise.js';

export interface BuildModelDirOptions extends Omit<IndexWavsOptions, 'batchSize'> {
  /** The trained weights: needed by every encoder but mfcc, which takes none. */
  checkpoint?: string;
  /** A checkpoint encoder (ENCODER_NAMES) or mfcc. */
  encoder: EncoderName | typeof MFCC_ENCODER;
  /** Standardise the embeddings; by default, as the directory was made, else standardisedByDefault(encoder). */
  standardise?: boolean;
  /** Which audio of each clip is embedded; by default, as the directory was made, else whole. */
  window?: WindowMode;
  parameters: Pick<IndexParameters, 'm' | 'efConstruction' | 'batchSize'>;
  /** Called with each missing or damaged file found in the model directory, which this run repairs. */
  onRepair?: (line: string) => void;
  /** Called once the standardisation statistics are taken (the first run of a standardised directory). */
  onStatistics?: (statistics: EmbeddingStatistics) => void;
}

export interface BuiltModelDir extends IndexSummary {
  modelDir: string;
}

/** The manifest already in `dir`, if one can be read: its choices are a rerun's defaults. */
function previousManifest(dir: string): Manifest | undefined {
  try {
    return readManifest(dir);
  } catch (error) {
    if (error instanceof DamagedManifest) return undefined;
    throw error;
  }
}

function compile(options: BuildModelDirOptions): Promise<CompiledEncoder> {
  if (options.encoder === MFCC_ENCODER) {
    if (options.checkpoint !== undefined) throw new UserError('the mfcc encoder is computed, not trained: leave out --checkpoint');
    return compileMfccEncoder();
  }
  if (options.checkpoint === undefined) {
    throw new UserError(`${options.encoder} needs trained weights: pass --checkpoint SAVE/vqvae_NNN.safetensors (or index with mfcc, which needs none)`);
  }
  return compileEncoder(options.checkpoint, options.encoder);
}

/**
 * Embeds the first STATISTICS_SAMPLE wavs that can be read, in a seeded random order, and returns
 * the mean and standard deviation of each dimension (undefined where no wav can be read).
 */
async function sampleStatistics(encoder: ClipEncoder, files: string[], options: BuildModelDirOptions, window: WindowMode): Promise<EmbeddingStatistics | undefined> {
  const sample: Float32Array[] = [];
  const batches = embedWavFiles(encoder, statisticsSampleOrder(files), {
    wavDir: options.wavDir,
    batchSize: options.parameters.batchSize,
    settings: { window },
    // The indexing that follows reports it.
    onUnreadable: () => undefined,
  });
  for await (const batch of batches) {
    sample.push(...batch.map(({ embedding }) => embedding.vector));
    if (sample.length >= STATISTICS_SAMPLE) break;
  }
  return sample.length ? embeddingStatistics(sample.slice(0, STATISTICS_SAMPLE)) : undefined;
}

/**
 * `boiler index`: compiles the encoder into `MODEL_DIR/encoder.onnx` (a checkpoint's in
 * `SAVE/vqvae_NNN/ENCODER/`, mfcc's beside the wav directory, see mfccModelDirFor), takes the
 * standardisation statistics on a standardised directory's first run, then embeds the wavs not
 * indexed yet and adds them to the model directory.
 */
export async function buildModelDir(options: BuildModelDirOptions): Promise<BuiltModelDir> {
  if (!existsSync(options.wavDir) || !statSync(options.wavDir).isDirectory()) {
    throw new UserError(`wav directory ${options.wavDir} does not exist: pass --wav-dir DIR (boiler convert makes one)`);
  }
  // Listed before anything is written: a directory without wavs is an error, not an empty model directory.
  const wavFiles = listWavFiles(options.wavDir);
  const compiled = await compile(options);
  const modelDir = options.checkpoint === undefined ? mfccModelDirFor(options.wavDir) : modelDirFor(options.checkpoint, options.encoder);
  const created = outermostMissing(modelDir);
  try {
    const previous = previousManifest(modelDir);
    const window = options.window ?? (previous ? (previous.window ?? 'first') : 'whole');
    const writer = ModelDirWriter.open(modelDir, {
      encoder: options.encoder,
      dimension: compiled.encoder.dimension,
      checkpoint: compiled.checkpoint,
      standardise: options.standardise ?? (previous ? Boolean(previous.standardise) : standardisedByDefault(options.encoder)),
      window,
      parameters: { space: 'cosine', ...options.parameters },
      wavDir: resolve(options.wavDir),
    });
    for (const line of writer.repairs) options.onRepair?.(line);
    writeFileAtomic(modelFile(modelDir, 'encoder'), compiled.onnx);
    writer.recordEncoderFile('encoder');
    if (compiled.weights) {
      TfjsEncoder.save(modelFile(modelDir, 'tfjsEncoder'), compiled.weights, options.encoder as EncoderName);
      writer.recordEncoderFile('tfjsEncoder');
    }
    if (writer.needsStatistics) {
      const statistics = await sampleStatistics(compiled.encoder, wavFiles, options, window);
      if (statistics) {
        writer.setStatistics(statistics);
        // Committed before any clip: a run killed from here on reuses them.
        writer.commit({ calibrate: false });
        options.onStatistics?.(statistics);
      }
    }
    return { modelDir, ...(await indexWavs(writer, compiled.encoder, wavFiles, { ...options, batchSize: options.parameters.batchSize })) };
  } catch (error) {
    // A first run that indexed nothing leaves no model directory behind (a query would find it empty).
    if (error instanceof NothingIndexed && created) rmSync(created, { recursive: true, force: true });
    throw error;
  } finally {
    await compiled.encoder.close();
  }
}

/** The outermost directory on the way to `path` that does not exist yet: what this run creates. */
function outermostMissing(path: string): string | undefined {
  let missing: string | undefined;
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) missing = dir;
  return missing;
}
