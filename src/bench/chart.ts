/**
 * Benchmark charts as PNG: one or more panels side by side, each a line chart (numeric x, linear
 * or logarithmic axes) or a grouped bar chart (categorical x), with a legend under the plot.
 */
import { Canvas, type Colour } from './raster.js';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** Draw bars grouped by category instead of lines: point x is the index into this list. */
  categories?: string[];
  series: Series[];
}

export interface Chart {
  title: string;
  /** A line under the panels: the machine and its load, say. */
  note?: string;
  panels: Panel[];
}

const PALETTE: Colour[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];
const INK: Colour = [34, 34, 34];
const GRID: Colour = [225, 225, 225];
const PANEL_WIDTH = 640;
const PLOT_HEIGHT = 300;
const MARGIN = { left: 84, right: 24, top: 64, axis: 64 };
const TEXT = 2;
const SMALL = 1;
const LEGEND_ROW = 22;

export function seriesColour(index: number): Colour {
  return PALETTE[index % PALETTE.length];
}

/** A short label for a tick value: 3 significant digits, K and M for large numbers. */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}K`;
  return String(Number(value.toPrecision(3)));
}

/** About `count` evenly spaced round values (1, 2 or 5 × 10^n apart) covering [min, max]. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (max <= min) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Powers of ten in [min, max], with 2× and 5× between them when the range is under two decades. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  const multiples = Math.log10(max / min) < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of multiples) {
      const v = m * 10 ** e;
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(Number(v.toPrecision(12)));
    }
  }
  return ticks;
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
}

function yAxis(values: number[], log: boolean): Axis {
  if (log) {
    const positive = values.filter((v) => v > 0);
    const low = positive.length ? Math.min(...positive) : 1;
    const high = positive.length ? Math.max(...positive) : 10;
    const min = 10 ** Math.floor(Math.log10(low));
    const max = Math.max(10 ** Math.ceil(Math.log10(high)), min * 10);
    return { min, max, log, ticks: logTicks(min, max) };
  }
  const low = Math.min(0, ...values);
  const high = values.length ? Math.max(...values) : 1;
  const ticks = linearTicks(low, high > low ? high : low + 1);
  // One more round value when the highest point lies above the last tick.
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  if (ticks[ticks.length - 1] < high) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return { min: ticks[0], max: ticks[ticks.length - 1], log, ticks };
}

function xAxis(values: number[], log: boolean): Axis {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  let min = distinct[0] ?? 0;
  let max = distinct[distinct.length - 1] ?? 1;
  if (max === min) [min, max] = log ? [min / 2, max * 2] : [min - 1, max + 1];
  // Few x values (batch sizes, connection counts): tick exactly those.
  const ticks = distinct.length <= 12 ? distinct : log ? logTicks(min, max) : linearTicks(min, max);
  return { min, max, log, ticks };
}

function position(axis: Axis, value: number): number {
  return axis.log ? Math.log(value / axis.min) / Math.log(axis.max / axis.min) : (value - axis.min) / (axis.max - axis.min);
}

function legendEntryWidth(name: string): number {
  return 22 + Canvas.textWidth(name, TEXT) + 20;
}

function legendRows(series: Series[], width: number): string[][] {
  const rows: string[][] = [[]];
  let used = 0;
  for (const { name } of series) {
    const entry = legendEntryWidth(name);
    if (used + entry > width && rows[rows.length - 1].length) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(name);
    used += entry;
  }
  return rows;
}

function drawPanel(canvas: Canvas, left: number, top: number, panel: Panel): void {
  const plot = { x: left + MARGIN.left, y: top + MARGIN.top, width: PANEL_WIDTH - MARGIN.left - MARGIN.right, height: PLOT_HEIGHT };
  canvas.text(left + PANEL_WIDTH / 2, top + 8, panel.title, INK, TEXT, 'centre');
  canvas.text(plot.x, plot.y - 20, panel.yLabel, INK, TEXT);

  const points = panel.series.flatMap((s) => s.points);
  const y = yAxis(points.map((p) => p.y), panel.logY ?? false);
  const toY = (v: number) => plot.y + plot.height - position(y, v) * plot.height;
  for (const tick of y.ticks) {
    canvas.line(plot.x, toY(tick), plot.x + plot.width, toY(tick), GRID);
    canvas.text(plot.x - 8, toY(tick) - Canvas.textHeight(TEXT) / 2, formatTick(tick), INK, TEXT, 'end');
  }

  const labelY = plot.y + plot.height + 8;
  if (panel.categories) {
    const slot = plot.width / panel.categories.length;
    const barWidth = (slot * 0.8) / Math.max(panel.series.length, 1);
    panel.categories.forEach((category, c) => canvas.text(plot.x + slot * (c + 0.5), labelY, category, INK, TEXT, 'centre'));
    panel.series.forEach((series, s) => {
      for (const { x, y: value } of series.points) {
        if (y.log && value <= 0) continue;
        const barLeft = plot.x + slot * x + slot * 0.1 + barWidth * s;
        const barTop = toY(Math.min(value, y.max));
        canvas.fillRect(Math.round(barLeft), Math.round(barTop), Math.max(1, Math.round(barWidth) - 2), Math.round(toY(y.min) - barTop), seriesColour(s));
      }
    });
  } else {
    const x = xAxis(points.map((p) => p.x), panel.logX ?? false);
    const toX = (v: number) => plot.x + position(x, v) * plot.width;
    for (const tick of x.ticks) {
      canvas.line(toX(tick), plot.y, toX(tick), plot.y + plot.height, GRID);
      canvas.text(toX(tick), labelY, formatTick(tick), INK, TEXT, 'centre');
    }
    panel.series.forEach((series, s) => {
      const colour = seriesColour(s);
      const shown = series.points.filter((p) => !(y.log && p.y <= 0) && !(x.log && p.x <= 0)).sort((a, b) => a.x - b.x);
      shown.forEach((p, i) => {
        if (i > 0) canvas.line(toX(shown[i - 1].x), toY(shown[i - 1].y), toX(p.x), toY(p.y), colour, 2);
        canvas.fillRect(Math.round(toX(p.x)) - 3, Math.round(toY(p.y)) - 3, 7, 7, colour);
      });
    });
  }
  // Axes last, over the grid and the bars' feet.
  canvas.line(plot.x, plot.y, plot.x, plot.y + plot.height, INK);
  canvas.line(plot.x, plot.y + plot.height, plot.x + plot.width, plot.y + plot.height, INK);
  canvas.text(plot.x + plot.width / 2, labelY + 26, panel.xLabel, INK, TEXT, 'centre');

  let legendY = labelY + 56;
  let index = 0;
  for (const row of legendRows(panel.series, plot.width)) {
    let x = plot.x;
    for (const name of row) {
      canvas.fillRect(x, legendY + 2, 16, 10, seriesColour(index++));
      canvas.text(x + 22, legendY, name, INK, TEXT);
      x += legendEntryWidth(name);
    }
    legendY += LEGEND_ROW;
  }
}

/** Renders the chart as a PNG. */
export function renderChart(chart: Chart): Buffer {
  const legendHeight = Math.max(...chart.panels.map((p) => legendRows(p.series, PANEL_WIDTH - MARGIN.left - MARGIN.right).length)) * LEGEND_ROW;
  const header = 36;
  const panelHeight = MARGIN.top + PLOT_HEIGHT + MARGIN.axis + legendHeight;
  const footer = chart.note ? 24 : 8;
  const width = Math.max(PANEL_WIDTH * chart.panels.length, Canvas.textWidth(chart.title, TEXT) + 40);
  const canvas = new Canvas(width, header + panelHeight + footer);
  canvas.text(canvas.width / 2, 10, chart.title, INK, TEXT, 'centre');
  chart.panels.forEach((panel, i) => drawPanel(canvas, i * PANEL_WIDTH, header, panel));
  if (chart.note) canvas.text(8, canvas.height - 16, chart.note, INK, SMALL);
  return canvas.toPng();
}
