import { setTimeout as sleep } from 'node:timers/promises';

/** How hard to try: `retries` more attempts after the first, waiting an exponentially growing, jittered delay. */
export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

/** A failure another attempt may fix: a network error, a 5xx, a 429, a cut-off body, a garbled answer. */
export class TransientError extends Error {
  override name = 'TransientError';
  /** What the server asked for in Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** A failure another attempt will not fix: 404, 403 and the like. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/**
 * The wait before retry number `retry` (0 for the first): base × 2^retry capped at the maximum,
 * with "equal jitter" (half fixed, half random) so that parallel downloads that failed together
 * do not come back together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Holds back every request to a host that asked for a pause (429 with Retry-After), not only the
 * one that got the answer: the pause is the server's, and hammering it from the other parallel
 * downloads would earn more 429s.
 */
export class HostGate {
  private readonly until = new Map<string, number>();

  async wait(url: string): Promise<void> {
    const ms = (this.until.get(new URL(url).host) ?? 0) - Date.now();
    if (ms > 0) await sleep(ms);
  }

  pause(url: string, ms: number): void {
    const host = new URL(url).host;
    this.until.set(host, Math.max(this.until.get(host) ?? 0, Date.now() + ms));
  }
}

export interface RetryNotice {
  url: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

/**
 * Runs `attempt` until it succeeds, throws a non-transient error, or has failed `retries + 1`
 * times; the last TransientError is rethrown with the number of attempts in its message.
 */
export async function withRetries<T>(
  url: string,
  attempt: () => Promise<T>,
  options: { policy: RetryPolicy; gate: HostGate; onRetry?: (notice: RetryNotice) => void },
): Promise<T> {
  const { policy, gate } = options;
  for (let tries = 1; ; tries++) {
    await gate.wait(url);
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (tries > policy.retries) {
        throw new TransientError(tries > 1 ? `${error.message} (after ${tries} attempts)` : error.message, error.retryAfterMs);
      }
      const delayMs = Math.max(backoffDelay(tries - 1, policy), error.retryAfterMs ?? 0);
      if (error.retryAfterMs !== undefined) gate.pause(url, error.retryAfterMs);
      options.onRetry?.({ url, attempt: tries, delayMs, reason: error.message });
      await sleep(delayMs);
    }
  }
}
