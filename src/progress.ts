/**
 * How the library reports the progress of a long job (crawl, convert, train, index, eval): it
 * starts a job through a `StartProgress` its caller passes in, ticks it once per item, and stops
 * it when the job ends. The CLI draws these as bars or plain lines (src/cli/progress.ts); a
 * library user passes its own, or nothing.
 */
export interface Progress<Note = string> {
  /** Advances by `by` items (default 1); `note` says what the latest item was (a file, a step's losses). */
  tick(by?: number, note?: Note): void;
  /** Changes the total once it becomes known (pages discovered, files listed). */
  setTotal(total: number): void;
  stop(): void;
}

/** A job about to start: `total` items of `unit`, shown under `label`. */
export interface ProgressJob {
  label: string;
  total: number;
  unit?: string;
}

export type StartProgress<Note = string> = (job: ProgressJob) => Progress<Note>;
