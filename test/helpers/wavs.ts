import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureWavs as convertFixturesInto } from './model-dir.js';

let converted: Promise<string> | undefined;

/** The bundled fixture media converted once per test process to 16 kHz mono wavs (real ffmpeg). */
export function fixtureWavs(): Promise<string> {
  converted ??= convertFixturesInto(mkdtempSync(join(tmpdir(), 'boiler-wavs-')));
  return converted;
}
