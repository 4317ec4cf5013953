import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipWindows, readWav, SAMPLE_RATE } from '../audio/clip.js';
import { convertFile } from '../audio/transcode.js';
import { UserError } from '../errors.js';
import { embedClips, type ClipEmbedding } from './clip-embedder.js';
import { loadModelEncoder, readEmbeddingSettings } from './encoder-file.js';
import type { ClipEncoderSession, EmbeddingSettings } from './types.js';

/**
 * Embeds any media file ffmpeg decodes with a model directory's encoder. The file is converted to
 * a 16 kHz mono wav exactly as `boiler convert` does (in a temporary directory, removed after)
 * and embedded like an indexed clip (the same windows, the same statistics), so that a file that
 * was indexed finds itself at distance 0.
 */
export class MediaEmbedder {
  private constructor(
    private readonly encoder: ClipEncoderSession,
    private readonly settings: EmbeddingSettings,
    private readonly ffmpegPath: string,
  ) {}

  /** Embeds as the model directory's clips were: the same windows, pooled, standardised with its statistics when it is. */
  static async open(modelDir: string, ffmpegPath: string): Promise<MediaEmbedder> {
    const settings = readEmbeddingSettings(modelDir);
    return new MediaEmbedder(await loadModelEncoder(modelDir), settings, ffmpegPath);
  }

  get dimension(): number {
    return this.encoder.dimension;
  }

  /** The file's embedding and how much audio it took; throws DecodeError (ffmpeg's reason) for a file with no decodable audio. */
  async embedFile(path: string): Promise<ClipEmbedding> {
    if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`${path} does not exist or is not a file`);
    const scratch = mkdtempSync(join(tmpdir(), 'boiler-clip-'));
    try {
      const wav = join(scratch, 'clip.wav');
      await convertFile(path, wav, { ffmpegPath: this.ffmpegPath, rate: SAMPLE_RATE });
      const [embedding] = await embedClips(this.encoder, [clipWindows(readWav(wav), this.settings.window)], this.settings.statistics);
      return embedding;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.encoder.close();
  }
}
