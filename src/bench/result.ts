import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { renderChart, type Chart } from './chart.js';
import { prepareOutputDirectory } from '../util/make-dir.js';

export type Cell = string | number;

/** What one benchmark measured: a table (its CSV), a chart (its PNG) and lines to print. */
export interface BenchResult {
  name: string;
  columns: string[];
  rows: Cell[][];
  chart: Chart;
  /** The figures a reader looks for first, as printed lines. */
  summary: string[];
}

function csvField(cell: Cell): string {
  const text = typeof cell === 'number' ? String(Number(cell.toPrecision(6))) : cell;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly Cell[][]): string {
  return [columns, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** Writes DIR/<name>.csv and DIR/<name>.png (each to a temporary name, then renamed); returns their paths. */
export async function writeBenchResult(dir: string, result: BenchResult): Promise<{ csv: string; png: string }> {
  prepareOutputDirectory(dir, '--out');
  const csv = join(dir, `${result.name}.csv`);
  const png = join(dir, `${result.name}.png`);
  writeFileAtomic(csv, toCsv(result.columns, result.rows));
  writeFileAtomic(png, await renderChart(result.chart));
  return { csv, png };
}
