import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { ffmpegVariable, searchPath, type Environment } from '../env.js';
import { UserError } from '../errors.js';

export interface FfmpegLocation {
  path: string;
  /** Where the path came from, for `boiler doctor` and error messages. */
  source: 'flag' | 'BOILER_FFMPEG' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on the search path, like `which`. */
export function findOnPath(name: string, directories = searchPath()): string | undefined {
  for (const dir of directories.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The binary that @ffmpeg-installer/ffmpeg ships for this platform, if that package is installed. */
function bundledFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    return isExecutableFile(installer.path) ? installer.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds ffmpeg: `--ffmpeg PATH`, else BOILER_FFMPEG, else `ffmpeg` on PATH, else the binary
 * bundled in the @ffmpeg-installer/ffmpeg npm package. An explicit choice that is not an
 * executable file is an error rather than a silent fallback, so users get the ffmpeg they asked for.
 */
export function locateFfmpeg(
  flag?: string,
  env?: Environment,
  bundled: () => string | undefined = bundledFfmpeg,
): FfmpegLocation {
  const explicit: [string | undefined, FfmpegLocation['source']][] = [
    [flag, 'flag'],
    [ffmpegVariable(env), 'BOILER_FFMPEG'],
  ];
  for (const [path, source] of explicit) {
    if (!path) continue;
    if (!isExecutableFile(path)) {
      const how = source === 'flag' ? '--ffmpeg' : 'BOILER_FFMPEG';
      throw new UserError(`ffmpeg not found at ${path} (from ${how}): point it at an executable ffmpeg binary`);
    }
    return { path, source };
  }
  const onPath = findOnPath('ffmpeg', searchPath(env));
  if (onPath) return { path: onPath, source: 'PATH' };
  const shipped = bundled();
  if (shipped) return { path: shipped, source: '@ffmpeg-installer/ffmpeg' };
  throw new UserError(
    'ffmpeg not found: install it (apt-get install ffmpeg, or npm install @ffmpeg-installer/ffmpeg) or pass --ffmpeg PATH',
  );
}
