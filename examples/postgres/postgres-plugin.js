// @ts-check
/* global AbortController -- a Node.js global; this file is linted as plain JavaScript */
// A consumer plugin protecting a real PostgreSQL pool: every query runs through
// `executeWithResilience` on the strategy named in its options (see dw.config.json: a bulkhead
// no larger than the pool, a breaker, one retry, attempt and overall timeouts), with the attempt's
// signal passed to PgQueryRunner, which cancels a timed-out query on the server. It answers a few
// queries, runs one that outlives the timeout, then shows on the server that nothing is left
// running and in the pool that nothing leaked. Plain JavaScript with JSDoc types: the host loads it
// without a build step, and the test suite typechecks it.
import pg from 'pg';
import { InvalidConfigurationError, ResilienceServiceToken, isCircuitOpenError } from '@datawarehouse/sdk';
import { PgQueryRunner } from './pgQueryRunner.js';

/** @typedef {import('@datawarehouse/sdk').IPlugin} IPlugin */
/** @typedef {import('@datawarehouse/sdk').IResilienceService} IResilienceService */
/** @typedef {import('@datawarehouse/sdk').PluginContext} PluginContext */

const ACTIVE_QUERIES = `select count(*)::int as n from pg_stat_activity
  where application_name = $1 and state = 'active' and pid <> pg_backend_pid()`;
const CONNECTIONS = 'select count(*)::int as n from pg_stat_activity where application_name = $1';

/** @implements {IPlugin} */
export class PostgresPlugin {
  id = 'postgres';
  version = '1.0.0';
  sdkVersion = '6.0.0';
  /** Initialized after the resilience plugin, which publishes the service. */
  dependencies = ['ultimate-resilience'];

  /** @type {PluginContext | undefined} */
  #ctx;
  /** @type {IResilienceService | undefined} */
  #resilience;
  /** @type {pg.Pool | undefined} */
  #pool;
  /** @type {PgQueryRunner | undefined} */
  #runner;
  /** @type {Promise<void> | undefined} */
  #work;
  #stop = new AbortController();

  /** @param {Readonly<Record<string, unknown>>} options */
  constructor(options) {
    this.strategy = text(options, 'strategy', 'postgres');
    this.applicationName = text(options, 'applicationName', 'dw-example-postgres');
    this.poolSize = integer(options, 'poolSize', 4, 1, 100);
    this.queries = integer(options, 'queries', 5, 1, 1000);
    this.slowQuerySeconds = integer(options, 'slowQuerySeconds', 10, 1, 3600);
    this.cancelGraceMs = integer(options, 'cancelGraceMs', 1000, 1, 60_000);
    // PostgreSQL >= 14 ends a query whose client went away within this interval (0: off, for older servers).
    this.serverCheckIntervalMs = integer(options, 'serverCheckIntervalMs', 1000, 0, 60_000);
    const connection = options.connection ?? {};
    if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
      throw new InvalidConfigurationError('postgres.connection', connection, 'an object of pg connection options');
    }
    this.connection = /** @type {Readonly<Record<string, unknown>>} */ (connection);
    text(this.connection, 'host', '127.0.0.1', 'postgres.connection');
    text(this.connection, 'database', 'test', 'postgres.connection');
    integer(this.connection, 'port', 5432, 1, 65535, 'postgres.connection');
  }

  /** @param {PluginContext} ctx */
  async initializeAsync(ctx) {
    this.#ctx = ctx;
    this.#resilience = ctx.services.resolve(ResilienceServiceToken);
    this.#pool = new pg.Pool({
      host: '127.0.0.1',
      port: 5432,
      database: 'test',
      user: process.env.PGUSER ?? 'postgres',
      ...this.connection,
      max: this.poolSize,
      connectionTimeoutMillis: 2_000,
      idleTimeoutMillis: 10_000,
      application_name: this.applicationName,
      ...(this.serverCheckIntervalMs > 0 && {
        options: `-c client_connection_check_interval=${this.serverCheckIntervalMs}`,
      }),
    });
    // An idle client whose connection breaks emits 'error' on the pool; unhandled, it would crash.
    this.#pool.on('error', (e) => ctx.logger.warn('idle connection lost', { error: e.message }));
    this.#runner = new PgQueryRunner(this.#pool, { cancelGraceMs: this.cancelGraceMs });
  }

  async startAsync() {
    // Work runs in the background: startAsync should not hold up the host's startup.
    this.#work = this.#demo().catch((e) => this.#ctx?.logger.error('postgres example stopped', { error: String(e) }));
  }

  async stopAsync() {
    this.#stop.abort();
    await this.#work;
    await this.#runner?.drainAsync();
    await this.#pool?.end();
  }

  /**
   * One query through the strategy: its first row's `n` or its error, and the attempts it took.
   * @param {string} sql @param {unknown[]} values
   * @returns {Promise<{ n?: unknown, error?: unknown, attempts: number }>}
   */
  async #query(sql, values) {
    const resilience = /** @type {IResilienceService} */ (this.#resilience);
    const runner = /** @type {PgQueryRunner} */ (this.#runner);
    let attempts = 0;
    try {
      const result = await resilience.executeWithResilience(
        this.strategy,
        ({ signal, attempt }) => {
          attempts = attempt;
          return runner.query(sql, values, signal);
        },
        { signal: this.#stop.signal },
      );
      return { n: result.rows[0]?.n, attempts };
    } catch (error) {
      return { error, attempts };
    }
  }

  async #demo() {
    const ctx = /** @type {PluginContext} */ (this.#ctx);
    const runner = /** @type {PgQueryRunner} */ (this.#runner);
    const pool = /** @type {pg.Pool} */ (this.#pool);
    const app = this.applicationName;
    ctx.logger.info(`pool of ${this.poolSize} connection(s) behind strategy ${this.strategy}`);
    for (let i = 1; i <= this.queries && !this.#stop.signal.aborted; i++) {
      const { n, error, attempts } = await this.#query(CONNECTIONS, [app]);
      if (error === undefined) {
        ctx.logger.info(`query ${i} answered after ${attempts} attempt(s): ${n} connection(s) of ${app} on the server`);
      } else {
        ctx.logger.warn(`query ${i} failed after ${attempts} attempt(s): ${describe(error)}`);
      }
    }
    if (this.#stop.signal.aborted) return;
    const slow = await this.#query('select pg_sleep($1)', [this.slowQuerySeconds]);
    if (slow.error === undefined) ctx.logger.warn('slow query answered: the strategy has no shorter timeout');
    else {
      ctx.logger.info(
        `slow query (pg_sleep ${this.slowQuerySeconds} s) failed after ${slow.attempts} attempt(s): ${describe(slow.error)}`,
      );
    }
    // The timed-out attempts settle once their cancel is done and their client is back.
    await runner.drainAsync();
    const { cancelRequests, cancelledOnServer, clientsDestroyed } = runner.stats;
    ctx.logger.info(
      `cancel requests ${cancelRequests}, cancelled on the server ${cancelledOnServer}, clients destroyed ${clientsDestroyed}`,
    );
    const active = await this.#query(ACTIVE_QUERIES, [app]);
    if (active.error === undefined) ctx.logger.info(`queries of ${app} still running on the server: ${active.n}`);
    else ctx.logger.warn(`could not check the server: ${describe(active.error)}`);
    ctx.logger.info(
      `pool: ${pool.totalCount} connection(s), ${pool.idleCount} idle, ${pool.waitingCount} waiting (at most ${this.poolSize})`,
    );
    ctx.logger.info('postgres example done');
  }
}

/** @param {unknown} e */
function describe(e) {
  if (isCircuitOpenError(e)) return `circuit open, retry in about ${Math.ceil(e.retryAfterMs / 1000)} s`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * @param {Readonly<Record<string, unknown>>} options @param {string} key @param {string} fallback
 * @param {string} [at] @returns {string}
 */
function text(options, key, fallback, at = 'postgres') {
  const value = options[key] ?? fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 63) {
    throw new InvalidConfigurationError(`${at}.${key}`, value, 'a string of 1 to 63 characters');
  }
  return value;
}

/**
 * @param {Readonly<Record<string, unknown>>} options @param {string} key @param {number} fallback
 * @param {number} min @param {number} max @param {string} [at] @returns {number}
 */
function integer(options, key, fallback, min, max, at = 'postgres') {
  const value = options[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidConfigurationError(`${at}.${key}`, value, `an integer in [${min}, ${max}]`);
  }
  return value;
}

/** The factory the host calls with this entry's `options`. @type {import('@datawarehouse/sdk').PluginFactory} */
export const createPlugin = (options) => new PostgresPlugin(options);
export default createPlugin;
