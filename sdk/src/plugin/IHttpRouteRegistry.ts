import type { Disposable } from '../di/ServiceToken.js';

/** Methods a plugin route may answer (`HEAD` is answered by every `GET` route). @since 6.1.0 */
export type HttpRouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One request as a plugin route sees it. The host has already checked authentication, the
 * method and the path; the body is not read until {@link HttpRouteRequest.readJsonAsync}.
 * @since 6.1.0
 */
export interface HttpRouteRequest {
  /** The method as sent (`HEAD` for a `HEAD` on a `GET` route). */
  readonly method: string;
  /** The URL path as sent, e.g. `/plugins/dashboard/assets/app.js`. */
  readonly path: string;
  /**
   * Values of the route's `:name` segments (URL-decoded), and under `*` the rest of the path
   * matched by a trailing `*` (segments joined by `/`, e.g. `assets/app.js`).
   */
  readonly params: Readonly<Record<string, string>>;
  /** The query string. */
  readonly query: URLSearchParams;
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * Aborted when the client goes away, the plugin's routes are withdrawn (it stopped) or the
   * server closes: a streaming handler stops producing on it.
   */
  readonly signal: AbortSignal;
  /**
   * Reads the body as JSON with the admin API's rules (`Content-Type: application/json`, the
   * configured size limit, at most 32 levels of nesting).
   * @throws an error the host answers as 415, 413 or 400 (`ERR_INVALID_CONFIGURATION`, field `body`).
   */
  readJsonAsync(): Promise<unknown>;
}

/**
 * An open streaming answer (e.g. Server-Sent Events). Writes after the client left are
 * dropped; `closed` tells, and the request's `signal` is aborted at the same moment.
 * @since 6.1.0
 */
export interface HttpRouteStream {
  /** Whether the stream ended (by `end`, the client, the plugin stopping or the server closing). */
  readonly closed: boolean;
  /**
   * Writes a chunk; false when the chunk was buffered (back-pressure) or the stream is closed. A
   * chunk larger than the socket's buffer always reports back-pressure, even to a client that
   * reads everything: use {@link HttpRouteStream.bufferedBytes} to tell a client that falls behind.
   */
  write(chunk: string | Uint8Array): boolean;
  /**
   * Bytes written and not yet handed to the operating system (Node's `writableLength`): it stays
   * near zero for a client that reads, and grows for one that does not. Optional in this
   * interface for implementations written before it; the host's streams have it.
   * @since 6.1.0
   */
  readonly bufferedBytes?: number;
  /** Ends the answer. Idempotent. */
  end(): void;
}

/**
 * How a route answers. Exactly one of `json`, `send` or `stream` per request; a handler that
 * returns without answering gets a 500 `ERR_NO_RESPONSE`. Every answer carries
 * `Cache-Control: no-store` and `X-Content-Type-Options: nosniff` unless the handler sets its own.
 * @since 6.1.0
 */
export interface HttpRouteResponse {
  /** Whether an answer was started. */
  readonly started: boolean;
  /** Answers JSON (`Infinity` written as `"Infinity"`, as the admin API does). */
  json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): void;
  /** Answers a text or binary body; `headers` should name the `content-type`. */
  send(status: number, body: string | Uint8Array, headers?: Readonly<Record<string, string>>): void;
  /**
   * Starts a streaming answer (no `Content-Length`); `text/event-stream` for Server-Sent Events.
   * For `HEAD` the stream is ended at once.
   */
  stream(status: number, headers: Readonly<Record<string, string>>): HttpRouteStream;
}

/**
 * Handles one request. Throwing answers like the admin API: an `InvalidConfigurationError`
 * is a 400 naming the field, an error carrying a numeric `status` (400..599) and a string
 * `code` is answered with them, anything else is a 500 whose message is only logged.
 * @since 6.1.0
 */
export type HttpRouteHandler = (request: HttpRouteRequest, response: HttpRouteResponse) => void | Promise<void>;

/**
 * A route a plugin adds to the host's admin server.
 * @since 6.1.0
 */
export interface HttpRoute {
  /** Method or methods answered; `GET` also answers `HEAD`. */
  readonly method: HttpRouteMethod | readonly HttpRouteMethod[];
  /**
   * Path below the plugin's prefix `/plugins/<pluginId>` (or from the root with `topLevel`):
   * `/` then segments; a `:name` segment matches any one segment, a last segment `*` matches
   * the rest of the path (zero or more segments). E.g. `/`, `/events`, `/assets/*`.
   */
  readonly path: string;
  /**
   * Claims `path` at the server root instead of under the plugin's prefix (e.g. `/metrics`,
   * which Prometheus scrapes by default). The host's own paths (`/health`, `/livez`,
   * `/readyz`, `/subsystems…`, `/plugins…`) cannot be claimed, and a path one plugin claimed
   * cannot be claimed by another. Default `false`.
   */
  readonly topLevel?: boolean;
  /**
   * Serves the route without the bearer token, for answers that reveal nothing (e.g. a page's
   * static HTML, scripts and styles, which a browser loads by navigation and cannot send a header
   * with). Only for a route whose method is `GET` alone. Without a token configured the `Host`
   * check still applies. Default `false`.
   * @since 6.1.0
   */
  readonly public?: boolean;
  /** One line shown in the route listing (`GET /plugins`). */
  readonly description?: string;
  /** Answers the route's requests. */
  readonly handler: HttpRouteHandler;
}

/**
 * Where a plugin adds HTTP routes to the host's admin server (`ctx.http`). Routes get the
 * admin API's authentication (bearer token, or loopback `Host` without one), body limit and
 * coded JSON errors, and are removed — with their open streams closed — when the plugin stops.
 * With the admin API disabled, registration still works and nothing is served.
 *
 * @example
 * ```ts
 * ctx.http?.register({
 *   method: 'GET',
 *   path: '/hello',
 *   handler: (_req, res) => res.json(200, { hello: 'world' }), // GET /plugins/<id>/hello
 * });
 * ```
 * @since 6.1.0
 */
export interface IHttpRouteRegistry {
  /**
   * Adds a route; the handle removes it (and closes its open streams).
   * @throws `InvalidConfigurationError` (field `route.path`, `route.method` or `route.handler`) for a
   * malformed route, a path already registered for one of the methods, or a reserved top-level path.
   */
  register(route: HttpRoute): Disposable;
}
