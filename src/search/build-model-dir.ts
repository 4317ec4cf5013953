import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { listWavFiles } from '../audio/wav-files.js';
import { UserError } from '../errors.js';
import type { EncoderName } from '../model/onnx/graph.js';
import { TfjsEncoder } from '../model/tfjs-encoder.js';
import { compileEncoder } from './encoder-file.js';
import { indexWavs, type IndexSummary, type IndexWavsOptions } from './index-wavs.js';
import type { IndexParameters } from './manifest.js';
import { modelDirFor, modelFile } from './model-dir.js';
import { ModelDirWriter } from './model-dir-writer.js';

export interface BuildModelDirOptions extends Omit<IndexWavsOptions, 'batchSize'> {
  checkpoint: string;
  encoder: EncoderName;
  parameters: Pick<IndexParameters, 'm' | 'efConstruction' | 'batchSize'>;
  /** Called with each missing or damaged file found in the model directory, which this run repairs. */
  onRepair?: (line: string) => void;
}

export interface BuiltModelDir extends IndexSummary {
  modelDir: string;
}

/**
 * `boiler index`: compiles the checkpoint's encoder into `SAVE/vqvae_NNN/ENCODER/encoder.onnx`,
 * embeds the wavs not indexed yet and adds them to the model directory beside it.
 */
export async function buildModelDir(options: BuildModelDirOptions): Promise<BuiltModelDir> {
  if (!existsSync(options.wavDir) || !statSync(options.wavDir).isDirectory()) {
    throw new UserError(`wav directory ${options.wavDir} does not exist: pass --wav-dir DIR (boiler convert makes one)`);
  }
  // Listed before anything is written: a directory without wavs is an error, not an empty model directory.
  const wavFiles = listWavFiles(options.wavDir);
  const modelDir = modelDirFor(options.checkpoint, options.encoder);
  const compiled = await compileEncoder(options.checkpoint, options.encoder);
  try {
    const writer = ModelDirWriter.open(modelDir, {
      encoder: options.encoder,
      dimension: compiled.encoder.dimension,
      checkpoint: compiled.checkpoint,
      parameters: { space: 'cosine', ...options.parameters },
      wavDir: resolve(options.wavDir),
    });
    for (const line of writer.repairs) options.onRepair?.(line);
    writeFileAtomic(modelFile(modelDir, 'encoder'), compiled.onnx);
    TfjsEncoder.save(modelFile(modelDir, 'tfjsEncoder'), compiled.weights, options.encoder);
    writer.recordEncoderFile('encoder');
    writer.recordEncoderFile('tfjsEncoder');
    return { modelDir, ...(await indexWavs(writer, compiled.encoder, wavFiles, { ...options, batchSize: options.parameters.batchSize })) };
  } finally {
    await compiled.encoder.close();
  }
}
