/** Terminal charts in the style of bashplotlib's `hist`, which the original used to choose the clip length. */

export interface HistogramOptions {
  /** Rows of the tallest bar (fewer when the largest count is smaller). */
  height?: number;
  /** A filled cell of a bar; two characters wide reads better than one. */
  mark?: string;
  /** Labels for the lowest and highest value, printed under the ends of the axis. */
  axis?: [string, string];
}

/**
 * Vertical bars, one column per bin, with the count that each row stands for on the left: a bar
 * reaches a row when its count is at least that row's label. The labels run evenly from the
 * largest count down to 1, as bashplotlib's do.
 */
export function renderHistogram(counts: number[], options: HistogramOptions = {}): string[] {
  const mark = options.mark ?? '██';
  const largest = Math.max(0, ...counts);
  if (largest === 0) return [];
  const rows = Math.min(options.height ?? 20, largest);
  const labels = Array.from({ length: rows }, (_, r) => (rows === 1 ? largest : Math.round(largest - (r * (largest - 1)) / (rows - 1))));
  const labelWidth = String(largest).length + 1;
  const bars = labels.map((label) => {
    const cells = counts.map((c) => (c >= label ? mark : ' '.repeat(mark.length))).join('');
    return `${String(label).padStart(labelWidth)}| ${cells}`.trimEnd();
  });
  if (!options.axis) return bars;
  const [from, to] = options.axis;
  const span = counts.length * mark.length;
  const indent = ' '.repeat(labelWidth);
  return [...bars, `${indent}+${'-'.repeat(span + 1)}`, `${indent}  ${from}${to.padStart(Math.max(span - from.length, to.length + 1))}`];
}

/** A boxed, centred table of lines, like bashplotlib's Summary. */
export function renderBox(title: string, lines: string[]): string[] {
  const inner = Math.max(32, ...[title, ...lines].map((l) => l.length + 4));
  const rule = '-'.repeat(inner + 2);
  const centre = (text: string) => {
    const left = Math.floor((inner - text.length) / 2);
    return `|${' '.repeat(left)}${text}${' '.repeat(inner - text.length - left)}|`;
  };
  return [rule, centre(title), rule, ...lines.map(centre), rule];
}
