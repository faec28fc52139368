import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import type { HttpRoute, HttpRouteHandler, HttpRouteMethod, IHttpRouteRegistry } from '@datawarehouse/sdk';

const METHODS: readonly HttpRouteMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** First segments the host answers itself: no plugin can claim them as top-level paths. */
export const RESERVED_TOP_SEGMENTS: readonly string[] = ['health', 'livez', 'readyz', 'subsystems', 'plugins'];
const SEGMENT = /^(?::[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9._~!$&'()+,;=@-]+)$/;
const MAX_PATH = 512;
const MAX_ROUTES_PER_OWNER = 256;

/** One registered route as the admin server dispatches it. @since 6.1.0 */
export interface RouteEntry {
  /** Id of the plugin that registered it. */
  readonly owner: string;
  /** Methods it answers (`GET` answers `HEAD` too). */
  readonly methods: ReadonlySet<string>;
  /** The path as served, e.g. `/plugins/dashboard/assets/*` or `/metrics`. */
  readonly pattern: string;
  /** One line for the listing, at most 200 characters. */
  readonly description: string | undefined;
  /** The plugin's handler. */
  readonly handler: HttpRouteHandler;
  /** Requests of this route still answering (streams); aborted when the route is removed. */
  readonly active: Set<AbortController>;
  /** Literal segments, `:name` or `*` (last only), from the root. */
  readonly segments: readonly string[];
  /** Served without the bearer token (`GET` only; the `Host` check of a token-less server still applies). */
  readonly public: boolean;
}

/** A route matched to a path: the entry (methods not checked) and its parameters. @since 6.1.0 */
export interface RouteMatch {
  /** The route. */
  readonly entry: RouteEntry;
  /** Its `:name` parameters and `*` rest, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The plugins' HTTP routes: each plugin registers through its own view (`forOwner`, handed
 * to it as `ctx.http`), routes live under `/plugins/<owner>/…` unless they claim a top-level
 * path, and `unregisterOwner` removes a plugin's routes and aborts their open requests.
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class HttpRouteTable {
  private readonly entries: RouteEntry[] = [];

  /** The registry a plugin sees: routes it adds are owned by `owner`. */
  forOwner(owner: string): IHttpRouteRegistry {
    return Object.freeze({ register: (route: HttpRoute) => this.register(owner, route) });
  }

  /**
   * Adds `route` for `owner`; the handle removes it and aborts its open requests.
   * @throws {@link InvalidConfigurationError} (field `route.*`) for a malformed or conflicting route.
   */
  register(owner: string, route: HttpRoute): { dispose(): void } {
    const entry = this.validate(owner, route);
    this.entries.push(entry);
    return { dispose: () => this.remove(entry) };
  }

  /** Removes every route of `owner` and aborts their open requests (its streams end). */
  unregisterOwner(owner: string): void {
    for (const entry of this.entries.filter((e) => e.owner === owner)) this.remove(entry);
  }

  /** Aborts every open request of every route (the server is closing); routes stay. */
  abortAll(): void {
    for (const entry of this.entries) abortEntry(entry);
  }

  /**
   * The most specific route for the URL-decoded path segments `parts` (literal segments win
   * over `:name`, which wins over `*`), whatever its methods; `undefined` when none matches.
   */
  match(parts: readonly string[]): RouteMatch | undefined {
    let best: { match: RouteMatch; score: number } | undefined;
    for (const entry of this.entries) {
      const params = matchSegments(entry.segments, parts);
      if (params === undefined) continue;
      const score = specificity(entry.segments);
      if (best === undefined || score > best.score) best = { match: { entry, params }, score };
    }
    return best?.match;
  }

  /** Every route: owner, methods, path and description (for `GET /plugins`). */
  list(): { plugin: string; methods: string[]; path: string; description?: string; public?: true }[] {
    return this.entries.map((e) => ({
      plugin: e.owner,
      methods: [...e.methods],
      path: e.pattern,
      ...(e.description !== undefined && { description: e.description }),
      ...(e.public && { public: true as const }),
    }));
  }

  private remove(entry: RouteEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
    abortEntry(entry);
  }

  private validate(owner: string, route: HttpRoute): RouteEntry {
    if (typeof route !== 'object' || route === null) {
      throw new InvalidConfigurationError('route', route, 'an object { method, path, handler }');
    }
    if (typeof route.handler !== 'function') {
      throw new InvalidConfigurationError('route.handler', typeof route.handler, 'a function (request, response)');
    }
    const methods = new Set<string>(Array.isArray(route.method) ? route.method : [route.method]);
    if (methods.size === 0 || [...methods].some((m) => !METHODS.includes(m as HttpRouteMethod))) {
      throw new InvalidConfigurationError('route.method', route.method, `one or more of ${METHODS.join(', ')}`);
    }
    const path = route.path;
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_PATH) {
      throw new InvalidConfigurationError(
        'route.path',
        path,
        `a path starting with '/', at most ${MAX_PATH} characters`,
      );
    }
    const own = path === '/' ? [] : path.slice(1).split('/');
    own.forEach((s, i) => {
      if (!(SEGMENT.test(s) || (s === '*' && i === own.length - 1))) {
        throw new InvalidConfigurationError(
          'route.path',
          path,
          "segments of URL-safe characters, ':name' parameters, and '*' only as the last segment",
        );
      }
    });
    if (route.public !== undefined && typeof route.public !== 'boolean') {
      throw new InvalidConfigurationError('route.public', route.public, 'a boolean');
    }
    if (route.public === true && (methods.size !== 1 || !methods.has('GET'))) {
      throw new InvalidConfigurationError('route.public', true, "a public route's method is GET alone");
    }
    const topLevel = route.topLevel === true;
    if (topLevel && (own.length === 0 || own[0]!.startsWith(':') || own[0] === '*')) {
      throw new InvalidConfigurationError('route.path', path, 'a top-level path starting with a literal segment');
    }
    if (topLevel && RESERVED_TOP_SEGMENTS.includes(own[0]!)) {
      throw new InvalidConfigurationError(
        'route.path',
        path,
        `a top-level path outside the host's own (${RESERVED_TOP_SEGMENTS.map((s) => `/${s}`).join(', ')})`,
      );
    }
    const segments = topLevel ? own : ['plugins', owner, ...own];
    const shape = shapeOf(segments);
    for (const other of this.entries) {
      if (shapeOf(other.segments) === shape && [...methods].some((m) => other.methods.has(m))) {
        throw new InvalidConfigurationError(
          'route.path',
          path,
          `a path not already registered for ${[...methods].join(', ')} (plugin '${other.owner}' has ${other.pattern})`,
        );
      }
    }
    if (this.entries.filter((e) => e.owner === owner).length >= MAX_ROUTES_PER_OWNER) {
      throw new InvalidConfigurationError('route', path, `at most ${MAX_ROUTES_PER_OWNER} routes per plugin`);
    }
    return Object.freeze({
      owner,
      methods,
      pattern: '/' + segments.join('/'),
      description: typeof route.description === 'string' ? route.description.slice(0, 200) : undefined,
      handler: route.handler,
      active: new Set<AbortController>(),
      segments: Object.freeze(segments),
      public: route.public === true,
    });
  }
}

function abortEntry(entry: RouteEntry): void {
  for (const controller of [...entry.active]) controller.abort();
  entry.active.clear();
}

/** The pattern with parameter names erased: two routes of the same shape would shadow each other. */
function shapeOf(segments: readonly string[]): string {
  return segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/');
}

function specificity(segments: readonly string[]): number {
  let score = 0;
  for (const s of segments) score = score * 3 + (s === '*' ? 0 : s.startsWith(':') ? 1 : 2);
  // A wildcard route matches longer paths too; at equal prefixes the longer literal route wins.
  return segments[segments.length - 1] === '*' ? score / 3 : score;
}

function matchSegments(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  // No prototype: a parameter named `__proto__` must stay a plain key.
  const params = Object.create(null) as Record<string, string>;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '*') {
      params['*'] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (s.startsWith(':')) params[s.slice(1)] = part;
    else if (s !== part) return undefined;
  }
  return parts.length === segments.length ? params : undefined;
}
