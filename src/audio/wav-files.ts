import { readdirSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';

/**
 * The names of the `.wav` files directly in `dir`, sorted (the original's
 * `sorted(wav_dir.glob('*.wav'))`): what train, stats and index read from a wav directory. A
 * directory without any is a UserError: none of them has anything to do there.
 */
export function listWavFiles(dir: string): string[] {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError(`${dir} is not a directory: pass the directory that boiler convert wrote`);
  }
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.isDirectory() && entry.name.toLowerCase().endsWith('.wav'))
    .map((entry) => entry.name)
    .sort();
  if (names.length === 0) throw new UserError(`no .wav files in ${dir}: convert media into it with boiler convert --in MEDIA --out ${dir}`);
  return names;
}
