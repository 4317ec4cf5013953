import { UserError } from './errors.js';

/**
 * The environment variables boiler reads, read here only. Each accessor takes the environment to
 * read (the process's by default) so that a test can pass its own.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A non-negative number of seconds, else `fallback`. */
function seconds(value: number, fallback: number): number {
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** BOILER_MODEL_DIR: the model directory when no --model-dir is given. */
export function modelDirVariable(env: Environment = process.env): string | undefined {
  return env.BOILER_MODEL_DIR;
}

/** BOILER_BACKEND: the TensorFlow.js backend when no --backend is given. */
export function backendVariable(env: Environment = process.env): string | undefined {
  return env.BOILER_BACKEND;
}

/** BOILER_FFMPEG: the ffmpeg binary when no --ffmpeg is given. */
export function ffmpegVariable(env: Environment = process.env): string | undefined {
  return env.BOILER_FFMPEG;
}

/** BOILER_ENCODER_RUNTIME: what runs a model directory's encoder, onnx (the default) or tfjs. */
export function encoderRuntime(env: Environment = process.env): 'onnx' | 'tfjs' {
  const runtime = env.BOILER_ENCODER_RUNTIME ?? 'onnx';
  if (runtime !== 'onnx' && runtime !== 'tfjs') throw new UserError(`BOILER_ENCODER_RUNTIME is '${runtime}': use onnx or tfjs`);
  return runtime;
}

/** Seconds between plain progress lines; BOILER_PROGRESS_INTERVAL overrides for very long or very short jobs. */
export function progressIntervalSeconds(env: Environment = process.env): number {
  return seconds(Number(env.BOILER_PROGRESS_INTERVAL), 10);
}

/**
 * Seconds between commits of a model directory that boiler index is building (BOILER_COMMIT_INTERVAL,
 * default 30): what a killed run can lose, against the cost of rewriting the directory's files.
 */
export function commitIntervalSeconds(env: Environment = process.env): number {
  // Set but empty is the default, not zero.
  return env.BOILER_COMMIT_INTERVAL ? seconds(Number(env.BOILER_COMMIT_INTERVAL), 30) : 30;
}

/** PATH, where programs are looked for. */
export function searchPath(env: Environment = process.env): string {
  return env.PATH ?? '';
}

/** LD_LIBRARY_PATH's folders, where the dynamic loader looks first. */
export function loaderPath(env: Environment = process.env): string[] {
  return (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
}

/** The process's environment with `changes`, for a child process. */
export function childEnvironment(changes: Environment): NodeJS.ProcessEnv {
  return { ...process.env, ...changes };
}
