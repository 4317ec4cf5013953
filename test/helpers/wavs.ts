import { fixtureWavs as convertFixturesInto } from './model-dir.js';
import { scratchDir } from './scratch.js';

let converted: Promise<string> | undefined;

/** The bundled fixture media converted once per test process to 16 kHz mono wavs (real ffmpeg). */
export function fixtureWavs(): Promise<string> {
  converted ??= convertFixturesInto(scratchDir('boiler-wavs-'));
  return converted;
}
