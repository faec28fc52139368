import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseRetryAfterMs } from '@datawarehouse/plugin-ultimate-resilience';

/**
 * A local HTTP downstream for the real-downstream suites, counting what the server side holds:
 * - `GET /ok`: 200 `ok`;
 * - `GET /hang`: never answers (until the client goes away);
 * - `GET /throttle?status=429|503&retryAfter=<header value>&times=<n>`: that status with that
 *   `Retry-After` header the first `n` times (per query string), then 200 `ok`.
 */
export class HttpDownstream {
  /** Sockets open on the server side now. */
  readonly sockets = new Set<Socket>();
  /** Requests received, and `/hang` requests whose client went away before an answer. */
  readonly counts = { requests: 0, hangs: 0, hangsAbandoned: 0 };
  private readonly throttled = new Map<string, number>();

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => this.handle(req, res));
  }

  static async startAsync(): Promise<HttpDownstream> {
    // Idle keep-alive sockets close after 500 ms, so a settled count is reached quickly; a deep
    // accept backlog, so a burst of connects is not slowed by SYN retransmits.
    const server = createServer({ keepAliveTimeout: 500 });
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
    return new HttpDownstream(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `/hang` requests still waiting for their client to go away. */
  get hanging(): number {
    return this.counts.hangs - this.counts.hangsAbandoned;
  }

  async closeAsync(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/hang') {
      this.counts.hangs++;
      res.on('close', () => {
        this.counts.hangsAbandoned++;
        req.socket.destroy(); // the client went away: nothing more to say on this connection
      });
      return;
    }
    if (url.pathname === '/throttle') {
      const key = url.search;
      const seen = (this.throttled.get(key) ?? 0) + 1;
      this.throttled.set(key, seen);
      if (seen <= Number(url.searchParams.get('times') ?? 1)) {
        res.writeHead(Number(url.searchParams.get('status') ?? 503), {
          'retry-after': url.searchParams.get('retryAfter') ?? '',
          'content-type': 'text/plain',
        });
        res.end('slow down');
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  }
}

/** An HTTP answer the caller should retry later; `retryAfterMs` is the server's `Retry-After`, if valid. */
export class HttpStatusError extends Error {
  readonly code = 'ERR_HTTP_STATUS';
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}${retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`}`);
    this.name = 'HttpStatusError';
  }
}

/**
 * GET `url` with the attempt's signal (an abort cancels the request and frees its socket); a
 * 429 or 503 throws an {@link HttpStatusError} carrying its `Retry-After` for `honorRetryAfter`.
 * The body is always read or cancelled, so the connection goes back to the client's pool.
 */
export async function getText(url: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(url, { signal });
  if (response.status === 429 || response.status === 503) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status, parseRetryAfterMs(response.headers.get('retry-after')));
  }
  const text = await response.text();
  if (!response.ok) throw new HttpStatusError(response.status, undefined);
  return text;
}

/**
 * TCP sockets open and referenced in this process (client and server side), from Node's active
 * resources. An unref'd socket (undici unrefs its idle keep-alive connections) is not counted:
 * the server's own count, which sees the peer of every client connection, is the authority.
 */
export function openTcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}
