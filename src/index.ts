/**
 * boiler as a library: what `import … from 'boiler'` gives. Each stage the CLI runs (crawl, convert,
 * train, index, eval, serve) as one call, a model directory opened for search, the embedders that
 * turn audio into its vectors, and the model's description. The CLI is a thin layer over these; the
 * modules behind them are internals and may change.
 */

// Stages, in the order a corpus goes through them.
export { crawl, type CrawlEvents, type CrawlOptions, type CrawlSummary, type CoubOutcome } from './crawl/crawl.js';
export { CATEGORIES, DEFAULT_API_BASE, PERIODS } from './crawl/api.js';
export { DEFAULT_RETRY, type RetryPolicy } from './crawl/retry.js';
export { convertDirectory, type ConvertOptions, type ConvertSummary, type RunOptions as ConvertRunOptions } from './audio/convert-directory.js';
export { train, type StepMetrics, type TrainListener, type TrainOptions, type TrainResult } from './train/trainer.js';
export { BACKENDS, chooseBackend, type BackendChoice, type BackendName, type ChosenBackend } from './model/backend.js';
export { buildModelDir, type BuildModelDirOptions, type BuiltModelDir } from './search/build-model-dir.js';
export { DEFAULT_ENCODER, ENCODER_NAMES, MFCC_ENCODER, type EncoderName } from './model/encoders.js';
export { evaluate, type EvaluateOptions, type EvaluationReport } from './eval/evaluate.js';
export { formatReport } from './eval/report.js';
export type { RetrievalScores } from './eval/metrics.js';
export { startServer, type RunningServer, type ServerOptions } from './server/server.js';
export { runServer, type ServeOptions } from './server/run-server.js';
// How every stage reports progress: it starts a job and ticks it; pass your own StartProgress to draw it.
export type { Progress, ProgressJob, StartProgress } from './progress.js';

// A model directory, opened and searched.
export { ModelIndex, type ClipRecord, type Match } from './search/model-index.js';
export { resolveModelDir } from './search/model-dir.js';
export { DEFAULT_GRAPH_PARAMETERS, readManifest } from './search/model-manifest.js';
export { MODEL_FILES, type FileRecord, type IndexParameters, type Manifest, type ModelFile } from './search/types.js';

// Audio into vectors: any media file (through ffmpeg), or samples already at SAMPLE_RATE.
export { MediaEmbedder } from './search/media-embedder.js';
export { embedClips, type ClipEmbedding, type EmbeddingSettings } from './search/clip-embedder.js';
export { loadModelEncoder, readEmbeddingSettings, type ClipEncoderSession } from './search/encoder-file.js';
export { clipWindows, readWav, type ClipWindows, type WindowMode } from './audio/clip.js';
export { locateFfmpeg, type FfmpegLocation } from './audio/ffmpeg.js';

// The model: the audio it takes, its mel front end and its sizes.
export { CLIP_SAMPLES, MEL, PRESET_NAMES, PRESETS, SAMPLE_RATE, type PresetName, type VQVAE2Config } from './model/vqvae2.js';

// Errors: a UserError's message is one line saying what to fix; DecodeError is ffmpeg's reason a file has no audio.
export { ExitCode, UserError } from './errors.js';
export { DecodeError } from './audio/transcode.js';
