import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClip, SAMPLE_RATE } from '../audio/clip.js';
import { convertFile } from '../audio/transcode.js';
import { UserError } from '../errors.js';
import { loadModelEncoder, type ClipEncoderSession } from './encoder-file.js';

/**
 * Embeds any media file ffmpeg decodes with a model directory's encoder. The file is converted to
 * a 16 kHz mono wav exactly as `boiler convert` does (in a temporary directory, removed after)
 * and loaded like an indexed clip, so that a file that was indexed finds itself at distance 0.
 */
export class MediaEmbedder {
  private constructor(
    private readonly encoder: ClipEncoderSession,
    private readonly ffmpegPath: string,
  ) {}

  static async open(modelDir: string, ffmpegPath: string): Promise<MediaEmbedder> {
    return new MediaEmbedder(await loadModelEncoder(modelDir), ffmpegPath);
  }

  get dimension(): number {
    return this.encoder.dimension;
  }

  /** The file's embedding; throws DecodeError (ffmpeg's reason) for a file with no decodable audio. */
  async embedFile(path: string): Promise<Float32Array> {
    if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`${path} does not exist or is not a file`);
    const scratch = mkdtempSync(join(tmpdir(), 'boiler-clip-'));
    try {
      const wav = join(scratch, 'clip.wav');
      await convertFile(path, wav, { ffmpegPath: this.ffmpegPath, rate: SAMPLE_RATE });
      return await this.encoder.embed(loadClip(wav), 1);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.encoder.close();
  }
}
