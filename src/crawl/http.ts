import { HostGate, PermanentError, TransientError, parseRetryAfter, withRetries, type RetryNotice, type RetryPolicy } from './retry.js';

export interface HttpOptions {
  retry: RetryPolicy;
  /** A request that has not finished (headers and body) in this time is abandoned and retried. */
  timeoutMs: number;
  onRetry?: (notice: RetryNotice) => void;
}

const USER_AGENT = 'boiler-crawl (+https://github.com/proger/boiler)';

/** The innermost cause of a fetch error ("connect ECONNREFUSED 127.0.0.1:9", "other side closed"), not undici's "fetch failed". */
export function networkReason(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (current instanceof Error) return current.message || current.name;
  return String(current);
}

/**
 * Node's fetch with the crawler's error model: network errors, 5xx and 429 are TransientErrors
 * (429 and 503 carry Retry-After), other non-2xx answers PermanentErrors. Every GET goes through
 * a shared HostGate, so a host's Retry-After pauses all requests to it.
 */
export class Http {
  private readonly gate = new HostGate();

  constructor(private readonly options: HttpOptions) {}

  /**
   * GETs `url` and hands the answer to `read`, retrying the whole exchange on transient errors,
   * those that `read` throws (a body cut short, a garbled answer) included.
   */
  get<T>(url: string, read: (response: Response) => Promise<T>): Promise<T> {
    return withRetries(
      url,
      async () => {
        const response = await this.open(url);
        try {
          return await read(response);
        } finally {
          // Frees the connection when `read` stopped early; a no-op once the body is consumed.
          await response.body?.cancel().catch(() => undefined);
        }
      },
      { policy: this.options.retry, gate: this.gate, onRetry: this.options.onRetry },
    );
  }

  /** GETs JSON; an answer that does not parse is retried like a network error (it is usually a proxy's error page). */
  getJson(url: string): Promise<unknown> {
    return this.get(url, async (response) => {
      const text = await readBody(response);
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new TransientError(`answered non-JSON (${networkReason(error)})`);
      }
    });
  }

  private async open(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        // identity: Content-Length must count the bytes that land on disk.
        headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new TransientError(networkReason(error));
    }
    if (response.ok) return response;
    await response.body?.cancel().catch(() => undefined);
    const reason = `HTTP ${response.status}${response.statusText ? ' ' + response.statusText : ''}`;
    if (response.status === 429 || response.status >= 500) {
      throw new TransientError(reason, parseRetryAfter(response.headers.get('retry-after')));
    }
    throw new PermanentError(reason);
  }
}

/** The body as text; a connection that breaks while it arrives is a TransientError. */
async function readBody(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw new TransientError(`connection broke while reading the answer: ${networkReason(error)}`);
  }
}
