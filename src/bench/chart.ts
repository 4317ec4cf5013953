/**
 * Benchmark charts as PNG: one or more panels side by side, each a line chart (numeric x, linear
 * or logarithmic axes) or a grouped bar chart (categorical x), with a legend under the plot.
 * Drawn by Vega-Lite, rendered to SVG by Vega and rasterised by resvg, all loaded on first use.
 */
import type { TopLevelSpec } from 'vega-lite';
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

/** Each panel's plot width in CSS pixels; the PNG is drawn at twice that. */
export const PANEL_WIDTH = 540;
const PLOT_HEIGHT = 300;

function panelSpec(panel: Panel, index: number) {
  const positive = (axis: 'x' | 'y') => ({ filter: `datum.${axis} > 0` });
  const y = { field: 'y', type: 'quantitative', title: panel.yLabel, scale: { type: panel.logY ? 'log' : 'linear' } } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: panel.series.map((s) => s.name), scheme: 'category10' }, legend: { orient: 'bottom', columns: 3 } } as const;
  const values = panel.series.flatMap((s) => s.points.map((p) => ({ series: s.name, x: p.x, y: p.y, category: panel.categories?.[p.x] })));
  const common = { title: panel.title, width: PANEL_WIDTH, height: PLOT_HEIGHT, data: { name: `panel${index}`, values } };
  if (panel.categories) {
    return {
      ...common,
      transform: panel.logY ? [positive('y')] : [],
      mark: 'bar',
      encoding: { x: { field: 'category', type: 'nominal', sort: panel.categories, title: panel.xLabel, axis: { labelAngle: 0 } }, xOffset: { field: 'series', sort: color.scale.domain }, y, color },
    } as const;
  }
  // Few x values (batch sizes, connection counts): tick exactly those.
  const distinctX = [...new Set(values.map((v) => v.x))].sort((a, b) => a - b);
  return {
    ...common,
    transform: [...(panel.logX ? [positive('x')] : []), ...(panel.logY ? [positive('y')] : [])],
    mark: { type: 'line', point: { size: 40 }, strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: panel.xLabel, scale: panel.logX ? { type: 'log' } : { zero: false }, axis: distinctX.length <= 12 ? { values: distinctX } : {} },
      y,
      color,
      order: { field: 'x' },
    },
  } as const;
}

/** The Vega-Lite specification of a chart: its panels side by side, each with its own legend. */
export function chartSpec(chart: Chart): TopLevelSpec {
  return {
    title: { text: chart.title, ...(chart.note ? { subtitle: chart.note } : {}), fontSize: 16 },
    background: 'white',
    padding: 12,
    hconcat: chart.panels.map(panelSpec),
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

/** Renders the chart as a PNG. */
export async function renderChart(chart: Chart): Promise<Buffer> {
  const [vega, { compile }, { Resvg }] = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
  const view = new vega.View(vega.parse(compile(chartSpec(chart)).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
}
