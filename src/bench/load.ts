/**
 * A loopback HTTP load generator: keep-alive connections over raw sockets, each sending its next
 * request as soon as the previous answer is complete (closed loop), so that throughput and
 * latency are the server's, not a client library's.
 */
import { connect, type Socket } from 'node:net';
import { percentile } from './measure.js';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Answers other than 200, and connection errors. */
  errors: number;
}

/** A complete HTTP/1.1 POST with a JSON body, ready to write to a socket. */
export function postRequest(url: URL, body: string): Buffer {
  const payload = Buffer.from(body);
  const head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), payload]);
}

/**
 * Where the response whose head ends at `bodyStart` ends, or undefined while it is incomplete:
 * after Content-Length bytes, or after the last chunk of a chunked body.
 */
function responseEnd(buffer: Buffer, head: string, bodyStart: number): number | undefined {
  if (/^transfer-encoding: *chunked/im.test(head)) {
    const last = buffer.indexOf('\r\n0\r\n\r\n', bodyStart - 2);
    return last < 0 ? undefined : last + 7;
  }
  const end = bodyStart + Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? 0);
  return buffer.length < end ? undefined : end;
}

/** Sends `requests` (in turn, over and over) on `connections` keep-alive sockets for `seconds`. */
export async function runLoad(url: URL, requests: Buffer[], connections: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let running = true;
  const drive = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (!running) return void socket.end(resolve);
        sentAt = performance.now();
        socket.write(requests[next++ % requests.length]);
      };
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        const headEnd = buffer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buffer.subarray(0, headEnd).toString('latin1');
        const end = responseEnd(buffer, head, headEnd + 4);
        if (end === undefined) return;
        if (!head.startsWith('HTTP/1.1 200')) errors++;
        latencies.push(performance.now() - sentAt);
        buffer = buffer.subarray(end);
        send();
      });
      socket.on('error', () => {
        errors++;
        resolve();
      });
      send();
    });
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
          socket.once('error', reject);
          socket.setNoDelay(true);
        }),
    ),
  );
  const started = performance.now();
  const done = Promise.all(sockets.map(drive));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  await done;
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    connections,
    seconds: elapsed,
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}
