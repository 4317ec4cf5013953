import type { WindowMode } from '../audio/clip.js';
import type { Calibration } from './calibrate.js';
import type { EmbeddingStatistics } from './standardise.js';

/*
 * What a model directory is, for those who read or write one: its files, its manifest.json, how
 * its vectors are made from a clip, and the encoder session that makes them.
 */

/**
 * The model directory, as the original laid it out: `SAVE/vqvae_NNN/ENCODER/` beside the checkpoint
 * `SAVE/vqvae_NNN.safetensors`, with TensorBoard projector files under `00000/default/`.
 */
export const MODEL_FILES = {
  encoder: 'encoder.onnx',
  /** The same encoder's TensorFlow.js form: the checkpoint's weights and the encoder's name. */
  tfjsEncoder: 'encoder.tfjs.safetensors',
  metadata: '00000/default/metadata.tsv',
  tensors: '00000/default/tensors.tsv',
  projectorConfig: 'projector_config.pbtxt',
  /** The wav file each clip came from, one a line in index order: what a rerun skips. */
  clips: 'clips.tsv',
  hnsw: 'index.hnsw',
  /** Each embedding dimension's mean and standard deviation, in a standardised model directory (standardise.ts). */
  statistics: 'standardisation.json',
  manifest: 'manifest.json',
} as const;

export type ModelFile = keyof typeof MODEL_FILES;

export const MANIFEST_FORMAT = 'boiler-model-dir/1';

/** manifest.json: what the directory holds and how it was built. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  encoder: string;
  dimension: number;
  /** Clips indexed: lines of clips.tsv, metadata.tsv and tensors.tsv that belong to the index. */
  count: number;
  /** Distinct embeddings among them: the points of the hnsw index (duplicates are stored once). */
  distinct: number;
  /** The weights the encoder was compiled from; null for an encoder that needs none (mfcc). */
  checkpoint: { path: string; sha256: string } | null;
  /**
   * Whether every embedding (indexed, or of query audio) is standardised with the statistics in
   * standardisation.json. Older manifests lack it: not standardised.
   */
  standardise?: boolean;
  /** Which audio of a clip is embedded: its first 2**17 samples, or all of it window by window. Older manifests lack it: first. */
  window?: WindowMode;
  parameters: IndexParameters;
  /** How readers search by default, as calibrated on this index's vectors (query's --ef overrides it). */
  search: Calibration;
  /** The wav directory of the last run (absolute): where a repair embeds lost clips again. */
  wavDir?: string;
  /**
   * Each file the commit wrote, checked by readers so that a damaged file, or one from another
   * commit, is named instead of read. Older manifests lack it; readers then check line counts only.
   */
  files?: Partial<Record<ModelFile, FileRecord>>;
  libraries: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** How the index is built; stored so that a rerun adds to the same graph. */
export interface IndexParameters {
  space: 'cosine';
  /** hnswlib's M: links per node. */
  m: number;
  efConstruction: number;
  batchSize: number;
}

/**
 * What a commit wrote to one file: its length in bytes and sha256. For a tsv file, of its first
 * `count` lines only: lines after them belong to a later run that has not committed yet.
 */
export interface FileRecord {
  bytes: number;
  sha256: string;
}

/** How a model directory turns a clip into its vector; its manifest records both. */
export interface EmbeddingSettings {
  window: WindowMode;
  /** Present when the model directory is standardised. */
  statistics?: EmbeddingStatistics;
}

/** What turns clips into embeddings: rows of 2**17 loader floats in, rows of `dimension` floats out. */
export interface ClipEncoder {
  readonly dimension: number;
  embed(wavs: Float32Array, count: number): Promise<Float32Array>;
}

/** What embeds clips: the ONNX encoder on onnxruntime, or its TensorFlow.js form. */
export interface ClipEncoderSession extends ClipEncoder {
  close(): Promise<void>;
}
