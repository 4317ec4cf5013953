import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertDirectory } from '../audio/convert-directory.js';
import { locateFfmpeg } from '../audio/ffmpeg.js';
import { UserError } from '../errors.js';
import type { EncoderName } from '../model/encoders.js';
import { buildModelDir } from '../search/build-model-dir.js';
import type { Match } from '../search/model-index.js';
import { ModelIndex } from '../search/model-index.js';
import { runQueries } from '../search/query.js';
import { train, type TrainListener } from '../train/trainer.js';

/** The bundled fixtures: four sound classes (tone, noise, beat, sweep), three clips each. */
export const FIXTURE_MEDIA = fileURLToPath(new URL('../../fixtures/media/', import.meta.url));

/**
 * The demo's settings: the tiny preset, long enough to separate the fixture classes and short
 * enough to finish in about a minute here. The tiny model's top codebook collapses to one code
 * within these few steps on 12 clips, while the bottom codebook tells the classes apart, so the
 * demo indexes with BagBottomVQVAE.
 */
export const DEMO_SETTINGS = {
  preset: 'tiny',
  epochs: 8,
  batchSize: 4,
  lr: 3e-3,
  // The settings the demo's clip neighbours were checked with: OneCycle and the original codebooks.
  schedule: 'onecycle',
  codebook: 'original',
  seed: 0,
  encoder: 'BagBottomVQVAE' as EncoderName,
  query: 'noise-2.m4a',
  k: 4,
} as const;

export interface DemoListener {
  stage(message: string): void;
  train: TrainListener;
}

export interface DemoResult {
  workDir: string;
  modelDir: string;
  query: string;
  neighbours: Match[];
  seconds: number;
}

/** The main job end to end on the bundled fixtures, offline: convert → train → index → query. */
export async function runDemo(workDir: string, listener: DemoListener, ffmpegFlag?: string): Promise<DemoResult> {
  const started = performance.now();
  const ffmpegPath = locateFfmpeg(ffmpegFlag).path;
  const wavDir = join(workDir, 'wav');
  const saveDir = join(workDir, 'save');

  listener.stage(`convert: ${FIXTURE_MEDIA} → ${wavDir}`);
  const converted = await convertDirectory({ input: FIXTURE_MEDIA, output: wavDir, ffmpegPath });
  if (converted.failed.length) throw new UserError(`the demo could not convert ${converted.failed.map((f) => f.source).join(', ')}`);

  listener.stage(`train: --preset ${DEMO_SETTINGS.preset}, ${DEMO_SETTINGS.epochs} epochs → ${saveDir}`);
  const trained = await train(
    {
      wavDir,
      saveDir,
      epochs: DEMO_SETTINGS.epochs,
      batchSize: DEMO_SETTINGS.batchSize,
      lr: DEMO_SETTINGS.lr,
      schedule: DEMO_SETTINGS.schedule,
      codebook: DEMO_SETTINGS.codebook,
      latentLossWeight: 0.5,
      preset: DEMO_SETTINGS.preset,
      seed: DEMO_SETTINGS.seed,
      imageEvery: 10,
    },
    listener.train,
  );

  listener.stage(`index: ${DEMO_SETTINGS.encoder} of ${trained.lastCheckpoint}`);
  const built = await buildModelDir({
    wavDir,
    checkpoint: trained.lastCheckpoint!,
    encoder: DEMO_SETTINGS.encoder,
    parameters: { m: 16, efConstruction: 200, batchSize: 12 },
  });

  const query = join(FIXTURE_MEDIA, DEMO_SETTINGS.query);
  listener.stage(`query: ${query}`);
  const [answer] = await runQueries(ModelIndex.open(built.modelDir), { files: [query] }, { k: DEMO_SETTINGS.k, ffmpegPath });
  if (!answer.matches) throw new UserError(`the demo query failed: ${answer.error}`);
  return { workDir, modelDir: built.modelDir, query, neighbours: answer.matches, seconds: (performance.now() - started) / 1000 };
}
