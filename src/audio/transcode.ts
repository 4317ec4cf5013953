import { renameSync, rmSync, statSync } from 'node:fs';
import ffmpeg from 'fluent-ffmpeg';
import { temporaryName } from '../atomic-file.js';
import { readWavHeader } from './wav-header.js';

/** ffmpeg could not turn an input into audio; the message is ffmpeg's reason, one line. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Before `-i`: no keyboard interaction (ffmpeg would otherwise read the terminal), and only errors on stderr. */
export const FFMPEG_INPUT_OPTIONS = ['-nostdin', '-hide_banner', '-loglevel', 'error'];

/**
 * After `-i`: audio only (the stream ffmpeg picks by default), downmixed to mono, resampled, as 16-bit PCM wav. No
 * metadata or encoder tag, so the file is the 44-byte header and the samples, the same bytes on
 * every run. `-f wav` because the temporary name does not end in .wav.
 */
export function wavOutputOptions(rate: number): string[] {
  return ['-vn', '-sn', '-dn', '-ac', '1', '-ar', String(rate), '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav'];
}

/**
 * ffmpeg's complaint as one line: its error lines without the "[demuxer @ 0x…]" and "input path:"
 * prefixes, joined by "; ". The one message that names no cause gets one.
 */
export function ffmpegReason(stderr: string, input: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.replace(/^\[[^\]]*\]\s*/, '').replace(`${input}: `, '').trim())
    .filter((line) => line !== '');
  const reason = [...new Set(lines)].join('; ');
  return /does not contain any stream/.test(reason) ? `no audio stream (${reason})` : reason;
}

function runFfmpeg(ffmpegPath: string, input: string, output: string, rate: number): Promise<void> {
  return new Promise((resolve, reject) => {
    ffmpeg(input)
      .setFfmpegPath(ffmpegPath)
      .inputOptions(FFMPEG_INPUT_OPTIONS)
      .outputOptions(wavOutputOptions(rate))
      .output(output)
      .on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
        reject(new DecodeError((stderr && ffmpegReason(stderr, input)) || error.message));
      })
      .on('end', () => resolve())
      .run();
  });
}

/**
 * Converts one media file to a mono 16-bit wav at `rate`. ffmpeg writes a temporary name beside
 * `output`, renamed once ffmpeg succeeded, so `output` is either absent or complete even when the
 * process is killed. Throws DecodeError when the input holds no audio that ffmpeg can decode.
 */
export async function convertFile(input: string, output: string, options: { ffmpegPath: string; rate: number }): Promise<void> {
  // ffmpeg's message for a zero-byte file is about seeking in it, which would only puzzle.
  if (statSync(input).size === 0) throw new DecodeError('empty file (0 bytes)');
  const temporary = temporaryName(output);
  try {
    await runFfmpeg(options.ffmpegPath, input, temporary, options.rate);
    // An audio stream without a decodable frame gives a valid but empty wav: training would see silence.
    if (readWavHeader(temporary).frames === 0) throw new DecodeError('no audio decoded (the audio stream is empty)');
    renameSync(temporary, output);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
