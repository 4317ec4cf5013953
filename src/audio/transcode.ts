import { renameSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { MAX_NAME_BYTES, temporaryName } from '../atomic-file.js';
import { describeError } from '../errors.js';
import { readWavHeader } from './wav-header.js';

/** ffmpeg could not turn an input into audio; the message is ffmpeg's reason, one line. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** One media file and the wav it becomes. */
export interface Transcode {
  input: string;
  output: string;
}

/** Global options, given once: no keyboard interaction (ffmpeg would otherwise read the terminal), only errors on stderr. */
export const FFMPEG_GLOBAL_OPTIONS = ['-nostdin', '-hide_banner', '-loglevel', 'error'];

/**
 * The options of each input. With several inputs ffmpeg reads each in a thread of its own through a
 * queue, 8 packets by default, and the reading thread then wakes for every packet: about 11,000
 * context switches for 8 ten-second clips, where a queue that holds a clip's whole audio lets it
 * read ahead and takes about 150 (measured here with perf stat). Only mapped streams are queued,
 * so 2048 packets are about 47 s of AAC and at most 8 MB of PCM.
 */
export const INPUT_OPTIONS = ['-thread_queue_size', '2048'];

/**
 * The options of one output: the first audio stream of input `inputIndex`, downmixed to mono,
 * resampled, as 16-bit PCM wav. No metadata or encoder tag, so the file is the 44-byte header and
 * the samples, the same bytes on every run. `-f wav` because the temporary name does not end in .wav.
 */
export function wavOutputOptions(inputIndex: number, rate: number): string[] {
  return ['-map', `${inputIndex}:a:0`, '-ac', '1', '-ar', String(rate), '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav'];
}

/**
 * ffmpeg's complaint as one line: its error lines without the "[demuxer @ 0x…]" and "input path:"
 * prefixes, joined by "; ". The message for a file without sound is given its plain meaning.
 */
export function ffmpegReason(stderr: string, inputs: string[]): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => inputs.reduce((l, input) => l.replace(`${input}: `, ''), line.replace(/^\[[^\]]*\]\s*/, '')).trim())
    .filter((line) => line !== '' && !line.startsWith("To ignore this, add a trailing '?'"));
  const reason = [...new Set(lines)].join('; ');
  return /matches no streams/.test(reason) ? `no audio stream (${reason})` : reason;
}

export interface TranscodeOptions {
  ffmpegPath: string;
  rate: number;
  /** Aborting it kills the running ffmpeg: its files then have no wav and no temporary left. */
  stop?: AbortSignal;
}

/** Runs one ffmpeg process that converts every input of `files` to its output. */
function runFfmpeg(files: Transcode[], { ffmpegPath, rate, stop }: TranscodeOptions): Promise<void> {
  const command = ffmpeg().setFfmpegPath(ffmpegPath);
  files.forEach(({ input }, i) => {
    command.input(input).inputOptions(i === 0 ? [...FFMPEG_GLOBAL_OPTIONS, ...INPUT_OPTIONS] : INPUT_OPTIONS);
  });
  files.forEach(({ output }, i) => command.output(output).outputOptions(wavOutputOptions(i, rate)));
  const kill = () => command.kill('SIGKILL');
  return new Promise<void>((resolve, reject) => {
    command
      .on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
        const inputs = files.map((f) => f.input);
        reject(new DecodeError((stderr && ffmpegReason(stderr, inputs)) || error.message));
      })
      // A Ctrl-C on the terminal reaches ffmpeg too, and it may end its files early: none is kept then.
      .on('end', () => (stop?.aborted ? reject(new DecodeError('interrupted')) : resolve()))
      .run();
    stop?.addEventListener('abort', kill, { once: true });
  }).finally(() => stop?.removeEventListener('abort', kill));
}

/** What a file-system error code means, in words, for the few that a conversion meets. */
const FILE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory is in the way',
  ENAMETOOLONG: 'the name is too long for this file system',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

/** A file-system error as one line: what failed, then why, without the temporary file's name. */
function fileErrorReason(failed: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return `${failed}: ${(code && FILE_ERRORS[code]) || describeError(error)}`;
}

/** Why a file is not worth handing to ffmpeg, or undefined. */
function reasonNotToConvert({ input, output }: Transcode): string | undefined {
  const nameBytes = Buffer.byteLength(basename(output));
  if (nameBytes > MAX_NAME_BYTES) {
    return `the output name is ${nameBytes} bytes, over the ${MAX_NAME_BYTES} bytes a file name may have: rename the input`;
  }
  try {
    // ffmpeg's message for a zero-byte file is about seeking in it, which would only puzzle.
    return statSync(input).size === 0 ? 'empty file (0 bytes)' : undefined;
  } catch (error) {
    return fileErrorReason('cannot read the input', error);
  }
}

/** Renames a wav that ffmpeg finished into place; why it is not there, or undefined. */
function placeWav(temporary: string, output: string): string | undefined {
  try {
    // An audio stream without a decodable frame gives a valid but empty wav: training would see silence.
    if (readWavHeader(temporary).frames === 0) return 'no audio decoded (the audio stream is empty)';
    renameSync(temporary, output);
    return undefined;
  } catch (error) {
    return fileErrorReason(`cannot write ${basename(output)}`, error);
  }
}

/**
 * Converts media files to mono 16-bit wavs at `rate` with a single ffmpeg process, which saves
 * starting one per file. Each wav is written under a temporary name beside its output and renamed
 * once ffmpeg succeeded, so an output is either absent or complete even when the process is killed.
 *
 * Resolves to one entry per file: undefined when its wav is in place, else why it has none (an
 * empty input, no audio decoded, an output name too long, an output that cannot be written).
 * Rejects with a DecodeError when ffmpeg fails, which it does as a whole: one input that it cannot
 * open fails every file of the call.
 */
export async function convertFiles(files: Transcode[], options: TranscodeOptions): Promise<(string | undefined)[]> {
  const reasons = files.map(reasonNotToConvert);
  const work = files.filter((_, i) => reasons[i] === undefined);
  if (work.length === 0) return reasons;
  const temporaries = work.map(({ input, output }) => ({ input, output: temporaryName(output) }));
  try {
    await runFfmpeg(temporaries, options);
    work.forEach(({ output }, i) => {
      reasons[files.indexOf(work[i])] = placeWav(temporaries[i].output, output);
    });
    return reasons;
  } finally {
    // What was not renamed into place: a failed run's partial files, the wavs without audio.
    for (const { output } of temporaries) rmSync(output, { force: true });
  }
}

/** Converts one media file (see convertFiles); throws DecodeError when it gives no wav. */
export async function convertFile(input: string, output: string, options: { ffmpegPath: string; rate: number }): Promise<void> {
  const [reason] = await convertFiles([{ input, output }], options);
  if (reason !== undefined) throw new DecodeError(reason);
}
