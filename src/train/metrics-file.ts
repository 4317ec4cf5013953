import { join } from 'node:path';

/**
 * Where `boiler train` logs each step's figures, one JSON line per step: in its --save-path, beside
 * the checkpoints (so that a model directory's checkpoint leads to them).
 */
export const METRICS_FILE = 'metrics.jsonl';

export function metricsFileIn(saveDir: string): string {
  return join(saveDir, METRICS_FILE);
}
