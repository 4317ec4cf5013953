import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertDirectory } from '../../src/audio/convert.js';
import { FIXTURES } from './cli.js';

let converted: Promise<string> | undefined;

/** The bundled fixture media converted once per test process to 16 kHz mono wavs (real ffmpeg). */
export function fixtureWavs(): Promise<string> {
  converted ??= (async () => {
    const out = mkdtempSync(join(tmpdir(), 'boiler-wavs-'));
    const summary = await convertDirectory({ input: join(FIXTURES, 'media'), output: out });
    if (summary.failed.length) throw new Error(`fixture conversion failed: ${JSON.stringify(summary.failed)}`);
    return out;
  })();
  return converted;
}
