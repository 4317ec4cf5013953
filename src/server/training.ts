import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { metricsFileIn } from '../train/metrics-file.js';

/** A line of `boiler train`'s metrics.jsonl: the step and its figures (loss, recon, latent, codesTop, …). */
export type MetricsRow = Record<string, number>;

/** More points than a chart is wide only slow the page. */
export const MAX_CHART_ROWS = 2000;

/** The metrics.jsonl that `boiler train` wrote beside a checkpoint. */
export function metricsFileOf(checkpoint: string): string {
  return metricsFileIn(dirname(checkpoint));
}

/**
 * The training run's metrics, step by step, thinned evenly to at most `MAX_CHART_ROWS` (the last
 * step always kept); undefined when there is no metrics file. Lines that are not a step's figures
 * (one cut short by a kill) are left out.
 */
export async function readTrainingMetrics(path: string): Promise<MetricsRow[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const rows: MetricsRow[] = [];
  for (const line of text.split('\n')) {
    try {
      const row = JSON.parse(line) as unknown;
      if (row && typeof row === 'object' && typeof (row as MetricsRow).step === 'number') rows.push(row as MetricsRow);
    } catch {
      // not a whole line
    }
  }
  if (rows.length <= MAX_CHART_ROWS) return rows;
  const every = rows.length / MAX_CHART_ROWS;
  return Array.from({ length: MAX_CHART_ROWS }, (_, i) => rows[Math.min(rows.length - 1, Math.round((i + 1) * every) - 1)]);
}
