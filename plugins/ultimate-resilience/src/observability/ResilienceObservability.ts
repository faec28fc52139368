import { SdkCompatibility } from '@datawarehouse/sdk';
import { rejectUnknownKeys, validateBoolean, validateObject } from '@datawarehouse/sdk/internals';
import type { Disposable, IHttpRouteRegistry, Logger } from '@datawarehouse/sdk';
import type { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { collectResilienceMetrics } from './collectResilienceMetrics.js';
import type { MetricsSnapshot } from './collectResilienceMetrics.js';
import { OpenTelemetryMetrics, loadOpenTelemetryApi } from './OpenTelemetryMetrics.js';
import type { OpenTelemetryApi } from './OpenTelemetryMetrics.js';
import { PrometheusExporter } from './PrometheusExporter.js';
import { activeSpanSource, tracerRegistered } from './AttemptSpans.js';
import type { OpenTelemetryTraceApi } from './AttemptSpans.js';

/**
 * Metrics export of the resilience plugin (its `observability` option). Every field is optional.
 * @since 6.1.0
 */
export interface ObservabilityOptions {
  /** Serve the Prometheus text format at `/plugins/ultimate-resilience/metrics`. Default `true`. */
  readonly prometheus?: boolean;
  /**
   * Also claim the top-level `GET /metrics`, where Prometheus scrapes by default (skipped with a
   * warning when another plugin holds it). Default `true`.
   */
  readonly claimMetricsPath?: boolean;
  /**
   * Use OpenTelemetry when `@opentelemetry/api` is installed: the metrics as instruments and, when
   * a TracerProvider is registered, a span event per attempt outcome on the caller's span. Default `true`.
   */
  readonly openTelemetry?: boolean;
}

const KEYS = ['prometheus', 'claimMetricsPath', 'openTelemetry'] as const;

/**
 * Validates the `observability` option.
 * @throws `InvalidConfigurationError` naming `observability.<field>`.
 * @internal
 */
export function validateObservabilityOptions(value: unknown): ObservabilityOptions {
  const o = validateObject('observability', value);
  rejectUnknownKeys('observability', o, KEYS);
  for (const key of KEYS) if (o[key] !== undefined) validateBoolean(`observability.${key}`, o[key]);
  return Object.freeze({ ...o }) as ObservabilityOptions;
}

/** What {@link ResilienceObservability} needs of the plugin's context. @internal */
export interface ObservabilityContext {
  readonly nodeId: string;
  readonly http?: IHttpRouteRegistry;
  readonly logger: Logger;
}

/**
 * The plugin's metrics export: the Prometheus routes (registered at once) and the
 * OpenTelemetry instruments (created by {@link ResilienceObservability.startAsync}, when the
 * API can be imported). Both read the manager's counters when scraped or collected.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class ResilienceObservability {
  /** The Prometheus exporter (also when no HTTP routes are available, e.g. for an embedder). */
  readonly prometheus: PrometheusExporter;
  private readonly read: () => MetricsSnapshot;
  private readonly registrations: Disposable[] = [];
  private openTelemetry: OpenTelemetryMetrics | undefined;
  private untrace: (() => void) | undefined;
  private disposed = false;

  constructor(
    private readonly manager: ResilienceScalingManager,
    private readonly ctx: ObservabilityContext,
    private readonly options: ObservabilityOptions = {},
    private readonly importApi: () => Promise<OpenTelemetryApi | undefined> = loadOpenTelemetryApi,
  ) {
    this.read = () => collectResilienceMetrics(manager, ctx.nodeId);
    this.prometheus = new PrometheusExporter(this.read);
    if (options.prometheus !== false && ctx.http !== undefined) this.registerRoutes(ctx.http);
  }

  /** Creates the OpenTelemetry instruments when enabled and `@opentelemetry/api` loads; else nothing. */
  async startAsync(): Promise<void> {
    if (this.options.openTelemetry === false || this.openTelemetry !== undefined) return;
    const api = await this.importApi();
    if (this.disposed) return;
    if (api === undefined) {
      this.ctx.logger.debug('@opentelemetry/api is not installed: no OpenTelemetry metrics');
      return;
    }
    const meter = api.metrics.getMeter('@datawarehouse/plugin-ultimate-resilience', '6.0.0');
    this.openTelemetry = new OpenTelemetryMetrics(meter, this.read, this.ctx.logger);
    // Span events per attempt, only when the application registered a TracerProvider: looking
    // up the active span costs every call, so nothing is paid without a tracer.
    const traceApi = api as Partial<OpenTelemetryTraceApi>;
    if (traceApi.trace !== undefined && traceApi.ProxyTracerProvider !== undefined) {
      if (tracerRegistered(traceApi as OpenTelemetryTraceApi)) {
        this.untrace = this.manager.traceCalls(activeSpanSource(traceApi as OpenTelemetryTraceApi));
      }
    }
  }

  /** Removes the routes and the OpenTelemetry callback. Idempotent. */
  dispose(): void {
    this.disposed = true;
    for (const r of this.registrations.splice(0)) r.dispose();
    this.openTelemetry?.dispose();
    this.openTelemetry = undefined;
    this.untrace?.();
    this.untrace = undefined;
  }

  private registerRoutes(http: IHttpRouteRegistry): void {
    const route = {
      method: 'GET',
      description: 'resilience metrics, Prometheus text format',
      handler: async (_req: unknown, res: { send(s: number, b: string, h: Record<string, string>): void }) =>
        res.send(200, await this.prometheus.metricsAsync(), { 'content-type': this.prometheus.contentType }),
    } as const;
    this.registrations.push(http.register({ ...route, path: '/metrics' }));
    if (this.options.claimMetricsPath === false) return;
    try {
      this.registrations.push(http.register({ ...route, path: '/metrics', topLevel: true }));
    } catch (error) {
      this.ctx.logger.warn('GET /metrics is taken; resilience metrics stay at /plugins/<id>/metrics', {
        error: String(error),
      });
    }
  }
}
