// @ts-check
/* global AbortController -- a Node.js global; this file is linted as plain JavaScript */
// A consumer plugin: it resolves the resilience service by its SDK token and places orders
// through the `orders-db` strategy (configured in dw.config.json) against a simulated database
// that recovers from one failure, then goes down. Plain JavaScript with JSDoc types, so the host
// loads it without a build step; the test suite typechecks it against the SDK.
import { ResilienceServiceToken, isCircuitOpenError } from '@datawarehouse/sdk';

/** @typedef {import('@datawarehouse/sdk').IPlugin} IPlugin */
/** @typedef {import('@datawarehouse/sdk').IResilienceService} IResilienceService */
/** @typedef {import('@datawarehouse/sdk').PluginContext} PluginContext */

/** A database that answers `healthyCalls` times, fails once, answers once more, then is down. */
class SimulatedOrdersDb {
  calls = 0;

  /** @param {number} order @param {AbortSignal} signal @returns {Promise<string>} */
  async insert(order, signal) {
    signal.throwIfAborted();
    this.calls++;
    if (this.calls === 3 || this.calls > 4) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    return `order-${order}`;
  }
}

/** @implements {IPlugin} */
export class OrdersPlugin {
  id = 'orders';
  version = '1.0.0';
  sdkVersion = '6.0.0';
  /** Initialized after the resilience plugin, which publishes the service. */
  dependencies = ['ultimate-resilience'];

  /** @type {PluginContext | undefined} */
  #ctx;
  /** @type {IResilienceService | undefined} */
  #resilience;
  /** @type {Promise<void> | undefined} */
  #work;
  #db = new SimulatedOrdersDb();
  #stop = new AbortController();

  /** @param {Readonly<Record<string, unknown>>} options */
  constructor(options) {
    const orders = options.orders ?? 6;
    if (typeof orders !== 'number' || !Number.isInteger(orders) || orders < 1) {
      throw new TypeError(`orders must be a positive integer, got ${String(orders)}`);
    }
    this.orders = orders;
  }

  /** @param {PluginContext} ctx */
  async initializeAsync(ctx) {
    this.#ctx = ctx;
    this.#resilience = ctx.services.resolve(ResilienceServiceToken);
  }

  async startAsync() {
    // Work runs in the background: startAsync should not hold up the host's startup.
    this.#work = this.#placeOrders().catch((e) => this.#ctx?.logger.error('orders stopped', { error: String(e) }));
  }

  async stopAsync() {
    this.#stop.abort();
    await this.#work;
  }

  async #placeOrders() {
    const ctx = /** @type {PluginContext} */ (this.#ctx);
    const resilience = /** @type {IResilienceService} */ (this.#resilience);
    for (let order = 1; order <= this.orders && !this.#stop.signal.aborted; order++) {
      let attempts = 0;
      try {
        const id = await resilience.executeWithResilience(
          'orders-db',
          ({ signal, attempt }) => {
            attempts = attempt;
            return this.#db.insert(order, signal);
          },
          { signal: this.#stop.signal },
        );
        ctx.logger.info(`order ${order} placed as ${id} after ${attempts} attempt(s)`);
      } catch (e) {
        if (isCircuitOpenError(e)) {
          ctx.logger.warn(
            `order ${order} refused: circuit open, retry in about ${Math.round(e.retryAfterMs / 1000)} s`,
          );
        } else {
          ctx.logger.warn(
            `order ${order} failed after ${attempts} attempt(s): ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    }
    ctx.logger.info('orders done');
  }
}

/** The factory the host calls with this entry's `options`. @type {import('@datawarehouse/sdk').PluginFactory} */
export const createPlugin = (options) => new OrdersPlugin(options);
export default createPlugin;
