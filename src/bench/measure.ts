import { availableParallelism, cpus, loadavg } from 'node:os';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value below which `p` % of the (ascending) `sorted` values lie: nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Timed {
  /** Wall milliseconds. */
  wallMs: number;
  /** CPU milliseconds of this process, all its threads (not its child processes). */
  cpuMs: number;
}

/** Wall and CPU time of one call. */
export async function timed(work: () => Promise<unknown> | unknown): Promise<Timed> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** The machine the figures come from, for the charts and the README: shared machines skew timings. */
export function machineNote(): string {
  const model = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  return `${availableParallelism()} cores (${model}), load average ${load}, node ${process.version}`;
}
