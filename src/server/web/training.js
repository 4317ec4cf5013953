/* global uPlot */
// The training page: GET /training/metrics (the checkpoint's metrics.jsonl) as three uPlot charts
// over steps: the losses, the codes each codebook uses, and the codebooks' perplexity.
import { fetchJson } from './shared.js';

const CHARTS = [
  { id: 'losses', series: [['loss', 'loss', '#c2410c'], ['recon', 'reconstruction', '#2563eb'], ['latent', 'latent', '#15803d']] },
  { id: 'codes', series: [['codesTop', 'top codebook', '#7c3aed'], ['codesBottom', 'bottom codebook', '#0891b2']] },
  { id: 'perplexity', series: [['perplexityTop', 'top codebook', '#7c3aed'], ['perplexityBottom', 'bottom codebook', '#0891b2']] },
];
const HEIGHT = 260;
/** Tick spacings for the step axis: whole steps only (1, 2, 5, 10, 20, 50, …). */
const WHOLE_STEPS = Array.from({ length: 24 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

const byId = (id) => document.getElementById(id);

/** One row per step, in step order (a resumed run may log a step again: its latest line wins). */
function rowsByStep(rows) {
  const latest = new Map();
  for (const row of rows) if (Number.isFinite(row?.step)) latest.set(row.step, row);
  return [...latest.values()].sort((a, b) => a.step - b.step);
}

function plot(container, rows, series) {
  const value = (row, key) => (Number.isFinite(row[key]) ? row[key] : null);
  const data = [rows.map((row) => row.step), ...series.map(([key]) => rows.map((row) => value(row, key)))];
  const axisColour = window.getComputedStyle(document.body).color;
  const axis = { stroke: axisColour, grid: { stroke: 'rgba(128, 128, 128, 0.2)' }, ticks: { stroke: 'rgba(128, 128, 128, 0.4)' } };
  const chart = new uPlot(
    {
      width: Math.max(200, container.clientWidth),
      height: HEIGHT,
      scales: { x: { time: false } },
      axes: [{ ...axis, label: 'step', incrs: WHOLE_STEPS }, axis],
      series: [{ label: 'step' }, ...series.map(([, label, stroke]) => ({ label, stroke, width: 2, spanGaps: true, points: { show: rows.length < 60 } }))],
    },
    data,
    container,
  );
  new ResizeObserver(() => chart.setSize({ width: Math.max(200, container.clientWidth), height: HEIGHT })).observe(container);
}

async function main() {
  try {
    const { json } = await fetchJson('/training/metrics');
    const rows = rowsByStep(json.rows);
    const last = rows.at(-1);
    byId('checkpoint').textContent = `${json.checkpoint}: ${rows.length.toLocaleString('en')} steps${last?.epoch ? `, epoch ${last.epoch}` : ''}`;
    for (const { id, series } of CHARTS) plot(byId(id), rows, series);
  } catch (error) {
    byId('checkpoint').textContent = '';
    byId('error').textContent = error.message;
    byId('error').hidden = false;
  }
}

main();
