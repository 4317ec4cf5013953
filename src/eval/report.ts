import type { EvaluationReport } from './evaluate.js';

const NAME_WIDTH = 24;
const COLUMN_WIDTH = 9;

function cell(value: number | null): string {
  return (value === null ? '—' : value.toFixed(3)).padStart(COLUMN_WIDTH);
}

/** The report as a table: one column per embedding (the model's first), one row per metric and per label. */
export function formatReport(report: EvaluationReport): string {
  const names = Object.keys(report.scores);
  const all = Object.values(report.scores);
  const row = (title: string, values: (number | null)[]) => title.padEnd(NAME_WIDTH) + values.map(cell).join('');
  const { k } = report;
  const lines = [
    `${report.encoder} in ${report.modelDir}: ${report.clips} clips, ${report.labelled} labelled with ${report.labels} labels, ` +
      `${all[0].queries} queries, k = ${k}`,
    ''.padEnd(NAME_WIDTH) + names.map((name) => name.padStart(COLUMN_WIDTH)).join(''),
    row(`precision@${k}`, all.map((s) => s.precisionAtK)),
    row(`mAP@${k}`, all.map((s) => s.meanAveragePrecision)),
    `per label: precision@${k} (support)`,
    ...Object.entries(all[0].perLabel).map(([label, { support }]) =>
      row(`  ${label} (${support})`, all.map((s) => s.perLabel[label].precisionAtK)),
    ),
  ];
  return lines.join('\n') + '\n';
}
