import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRouteRequest, HttpRouteResponse, HttpRouteStream } from '@datawarehouse/sdk';
import { encodeInfinity } from '../registry/limitsJson.js';
import { HttpError } from './HttpError.js';
import { readJsonBody } from './readJsonBody.js';
import type { RouteEntry } from './HttpRouteTable.js';

const DEFAULT_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

/** A plugin route's request and response over Node's, and how the host finishes it. @internal */
export interface RouteExchange {
  readonly request: HttpRouteRequest;
  readonly response: HttpRouteResponse;
  /** Called once the handler settled: detaches the request unless it is streaming. */
  settle(): void;
}

/**
 * Wraps one request to a plugin route. The request's `signal` aborts when the client goes
 * away, the route is removed (its plugin stopped) or the server closes; a stream still open
 * then is ended. An answer started while a request body is still unread closes the connection,
 * so a client cannot make the server read a body nobody asked for.
 * @internal
 */
export function routeExchange(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  entry: RouteEntry,
  params: Readonly<Record<string, string>>,
  maxBodyBytes: number,
): RouteExchange {
  const controller = new AbortController();
  let streaming: { closed: boolean } | undefined;
  let bodyRead = false;
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const detach = (): void => {
    entry.active.delete(controller);
    res.off('close', onClose);
    controller.signal.removeEventListener('abort', onAbort);
  };
  const onClose = (): void => {
    if (!controller.signal.aborted) controller.abort();
  };
  const onAbort = (): void => {
    detach();
    if (streaming !== undefined) streaming.closed = true;
    if (streaming !== undefined && !res.writableEnded) res.end();
  };
  entry.active.add(controller);
  res.on('close', onClose);
  controller.signal.addEventListener('abort', onAbort);

  const head = (status: number, headers: Readonly<Record<string, string>> = {}): Record<string, string> => {
    if (res.headersSent) throw new HttpError(500, 'ERR_RESPONSE_STARTED', 'The route already answered');
    if (!(Number.isInteger(status) && status >= 200 && status <= 599)) {
      throw new HttpError(500, 'ERR_BAD_STATUS', `A route answered with status ${String(status)}`);
    }
    return { ...DEFAULT_HEADERS, ...lowerCase(headers), ...(hasBody && !bodyRead && { connection: 'close' }) };
  };
  const request: HttpRouteRequest = Object.freeze({
    method: req.method ?? 'GET',
    path: url.pathname,
    params,
    query: url.searchParams,
    headers: req.headers,
    signal: controller.signal,
    readJsonAsync: async () => {
      bodyRead = true;
      return readJsonBody(req, maxBodyBytes);
    },
  });
  const response: HttpRouteResponse = {
    get started() {
      return res.headersSent;
    },
    json(status, body, headers) {
      const text = JSON.stringify(body, encodeInfinity);
      const all = head(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.writeHead(status, { ...all, 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    },
    send(status, body, headers) {
      const all = head(status, headers);
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      res.writeHead(status, { ...all, 'content-length': String(length) });
      res.end(body);
    },
    stream(status, headers) {
      const all = head(status, headers);
      res.writeHead(status, all);
      // Headers now, not with the first chunk: an event-stream client waits for them.
      res.flushHeaders();
      const state = { closed: controller.signal.aborted };
      streaming = state;
      if (req.method === 'HEAD' || state.closed) {
        state.closed = true;
        res.end();
      }
      const stream: HttpRouteStream = {
        get closed() {
          return state.closed;
        },
        write: (chunk) => (state.closed ? false : res.write(chunk)),
        get bufferedBytes(): number {
          return res.writableLength;
        },
        end: () => {
          if (state.closed) return;
          state.closed = true;
          res.end();
        },
      };
      return stream;
    },
  };
  return {
    request,
    response,
    settle: () => {
      if (streaming === undefined || streaming.closed) detach();
    },
  };
}

function lowerCase(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
