import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

// Each test file runs in its own process: its scratch directories go when it exits, unless a test
// failed (exit code 1), when they stay for a look at what the failing run left.
process.once('exit', (code) => {
  if (code !== 0) return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the system's temporary directory, removed when the test process exits. */
export function scratchDir(prefix = 'boiler-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
