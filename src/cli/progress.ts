import cliProgress from 'cli-progress';
import { progressIntervalSeconds } from '../env.js';
import type { Progress, ProgressJob, StartProgress } from '../progress.js';

export interface ProgressOptions extends ProgressJob {
  stream?: NodeJS.WriteStream;
  /** Seconds between plain lines when the stream is not a terminal. */
  intervalSeconds?: number;
}

/** The library's progress drawn on stderr: a bar on a terminal, plain periodic lines in logs and CI; the latest note is shown beside it. */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY ? barProgress(options, stream) : lineProgress(options, stream);
}

/** Progress whose notes are data (a training step's metrics), shown beside the bar as `describe` words them. */
export function describedProgress<Note>(describe: (note: Note) => string): StartProgress<Note> {
  return (job) => {
    const progress = createProgress(job);
    return {
      tick: (by, note) => progress.tick(by, note === undefined ? undefined : describe(note)),
      setTotal: (total) => progress.setTotal(total),
      stop: () => progress.stop(),
    };
  };
}

function barProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const unit = options.unit ?? 'items';
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} {status}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(options.total, 0, { rate: '0.0', status: '' });
  return {
    tick(by = 1, status = '') {
      value += by;
      const rate = value / Math.max((Date.now() - started) / 1000, 1e-3);
      bar.update(value, { rate: rate.toFixed(1), status });
    },
    setTotal(total) {
      bar.setTotal(total);
    },
    stop() {
      bar.stop();
    },
  };
}

function lineProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const unit = options.unit ?? 'items';
  const intervalMs = (options.intervalSeconds ?? progressIntervalSeconds()) * 1000;
  const started = Date.now();
  let total = options.total;
  let value = 0;
  let lastStatus = '';
  let lastPrinted = started;
  let printedValue = -1;
  const print = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = value / Math.max(seconds, 1e-3);
    const eta = rate > 0 && total > value ? ` eta ${Math.round((total - value) / rate)}s` : '';
    stream.write(`${options.label}: ${value}/${total} ${unit} (${rate.toFixed(1)}/s${eta})${lastStatus ? ' ' + lastStatus : ''}\n`);
    lastPrinted = Date.now();
    printedValue = value;
  };
  return {
    tick(by = 1, status = '') {
      value += by;
      lastStatus = status;
      if (Date.now() - lastPrinted >= intervalMs) print();
    },
    setTotal(newTotal) {
      total = newTotal;
    },
    stop() {
      // The final state, unless the last periodic line already showed it.
      if (printedValue !== value) print();
    },
  };
}
