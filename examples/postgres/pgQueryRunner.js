// @ts-check
/* global Buffer, setTimeout, clearTimeout -- Node.js globals; this file is linted as plain JavaScript */
// Runs queries on a `pg.Pool` so that an aborted signal (an attempt timed out, or the caller gave
// up) cancels the query ON THE SERVER, not only in the caller: `pg` takes no AbortSignal, and a
// query abandoned on the client keeps running in PostgreSQL and keeps its connection busy.
//
// On abort: PostgreSQL's own cancel request (what psql sends on Ctrl-C: a separate connection
// carrying the backend's process id and secret key; it needs no login and no pool slot), then a
// grace for the query to end. A client whose query ended and whose cancel was delivered goes back
// to the pool, in a sane state (the server answered ReadyForQuery). Any other client is destroyed
// (released with an error, so the pool closes it): never a client left mid-query in the pool, and
// never one leaked. The operation settles only then, so the resilience bulkhead keeps counting the
// connection until it is back: with a bulkhead no larger than the pool, the pool never makes a
// caller wait.
import { connect } from 'node:net';

/** @typedef {import('pg').Pool} Pool */
/** @typedef {import('pg').PoolClient} PoolClient */
/** @typedef {import('pg').QueryResult} QueryResult */

/** PostgreSQL's CancelRequest code (protocol 3.0). */
const CANCEL_REQUEST_CODE = 80877102;
/** SQLSTATE of a statement cancelled by a cancel request. */
const QUERY_CANCELED = '57014';

/**
 * @typedef {object} PgQueryRunnerOptions
 * @property {number} [cancelGraceMs] how long a cancelled query may take to end before its client
 *   is destroyed instead (default 1000).
 * @property {number} [cancelTimeoutMs] how long the cancel request may take to be delivered
 *   (default 1000).
 */

/**
 * @typedef {object} PgQueryRunnerStats
 * @property {number} queries queries started.
 * @property {number} cancelRequests cancel requests sent (one per aborted query).
 * @property {number} cancelledOnServer queries the server reported cancelled (SQLSTATE 57014).
 * @property {number} clientsDestroyed clients destroyed instead of returned to the pool.
 */

/** Runs queries on a pool, cancelling them on the server when their signal aborts. */
export class PgQueryRunner {
  /** @type {PgQueryRunnerStats} */
  stats = { queries: 0, cancelRequests: 0, cancelledOnServer: 0, clientsDestroyed: 0 };
  #pool;
  #cancelGraceMs;
  #cancelTimeoutMs;
  #running = 0;
  /** @type {(() => void)[]} */
  #drainWaiters = [];

  /** @param {Pool} pool @param {PgQueryRunnerOptions} [options] */
  constructor(pool, options = {}) {
    this.#pool = pool;
    this.#cancelGraceMs = positive('cancelGraceMs', options.cancelGraceMs ?? 1000);
    this.#cancelTimeoutMs = positive('cancelTimeoutMs', options.cancelTimeoutMs ?? 1000);
  }

  /** Operations not settled yet (a cancelled one counts until its client is back or destroyed). */
  get running() {
    return this.#running;
  }

  /** Resolves once no operation is running. */
  drainAsync() {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(() => resolve(undefined)));
  }

  /**
   * Runs `text` with `values` on a client of the pool. When `signal` aborts, the query is
   * cancelled on the server and the call rejects with `signal.reason` once the client is back
   * in the pool or destroyed.
   * @param {string} text @param {unknown[]} values @param {AbortSignal} signal
   * @returns {Promise<QueryResult>}
   */
  async query(text, values, signal) {
    signal.throwIfAborted();
    this.#running++;
    try {
      // pool.connect() cannot be aborted; with the bulkhead <= the pool size it never waits for
      // a client, only (on a new connection) for the connect, bounded by connectionTimeoutMillis.
      const client = await this.#pool.connect();
      return await this.#run(client, text, values, signal);
    } finally {
      if (--this.#running === 0) for (const wake of this.#drainWaiters.splice(0)) wake();
    }
  }

  /** @param {PoolClient} client @param {string} text @param {unknown[]} values @param {AbortSignal} signal */
  async #run(client, text, values, signal) {
    // A checked-out client has no pool listener: without one, a connection error would crash.
    const ignore = () => {};
    client.on('error', ignore);
    /** @param {boolean} destroy */
    const giveBack = (destroy) => {
      client.off('error', ignore);
      if (destroy) this.stats.clientsDestroyed++;
      client.release(destroy ? new Error('destroyed: its query was abandoned') : undefined);
    };
    if (signal.aborted) {
      giveBack(false);
      throw signal.reason;
    }
    this.stats.queries++;
    /** @type {Promise<{ ok: true, value: QueryResult } | { ok: false, error: unknown }>} */
    const settled = client.query(text, values).then(
      (value) => ({ ok: true, value }),
      (error) => ({ ok: false, error }),
    );
    /** @type {() => void} */
    let onAbort = ignore;
    /** @type {Promise<undefined>} */
    const aborted = new Promise((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const outcome = await Promise.race([settled, aborted]);
    signal.removeEventListener('abort', onAbort);
    if (outcome !== undefined) {
      if (outcome.ok) {
        giveBack(false);
        return outcome.value;
      }
      giveBack(!isServerError(outcome.error));
      throw outcome.error;
    }

    this.stats.cancelRequests++;
    const [delivered, ended] = await Promise.all([this.#cancelOnServer(client), within(settled, this.#cancelGraceMs)]);
    if (ended !== undefined && !ended.ok && errorCode(ended.error) === QUERY_CANCELED) this.stats.cancelledOnServer++;
    // Back to the pool only when the query is over and the cancel cannot hit a later one.
    const sane = delivered && ended !== undefined && (ended.ok || isServerError(ended.error));
    giveBack(!sane);
    throw signal.reason;
  }

  /**
   * Sends PostgreSQL's cancel request for the client's backend; resolves true once the server
   * closed the request's connection (it has signalled the backend), false on error or timeout.
   * @param {PoolClient} client
   * @returns {Promise<boolean>}
   */
  #cancelOnServer(client) {
    const { processID, secretKey } = /** @type {{ processID?: unknown, secretKey?: unknown }} */ (
      /** @type {unknown} */ (client)
    );
    if (!Number.isInteger(processID) || !Number.isInteger(secretKey) || typeof client.host !== 'string') {
      return Promise.resolve(false); // nothing to cancel with: the caller destroys the client
    }
    const target = client.host.startsWith('/')
      ? { path: `${client.host}/.s.PGSQL.${client.port}` }
      : { host: client.host, port: client.port };
    return new Promise((resolve) => {
      const socket = connect(target);
      let sent = false;
      let closedByServer = false;
      const timer = setTimeout(() => socket.destroy(), this.#cancelTimeoutMs);
      socket.on('connect', () => {
        const message = Buffer.alloc(16);
        message.writeInt32BE(16, 0);
        message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
        message.writeInt32BE(/** @type {number} */ (processID), 8);
        message.writeInt32BE(/** @type {number} */ (secretKey), 12);
        socket.write(message, () => (sent = true));
      });
      // The server closes the request's connection once it has signalled the backend.
      socket.on('end', () => {
        closedByServer = true;
        socket.end();
      });
      socket.on('error', ignoreError);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(sent && closedByServer);
      });
    });
  }
}

/** @param {unknown} e */
function ignoreError(e) {
  return e;
}

/**
 * Resolves with what `promise` resolves to, or undefined after `ms`.
 * @template T @param {Promise<T>} promise @param {number} ms @returns {Promise<T | undefined>}
 */
function within(promise, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** @param {unknown} e @returns {string | undefined} */
function errorCode(e) {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/**
 * An error the server sent (it has a SQLSTATE, five characters, and the connection is fine),
 * rather than a connection error (`ECONNRESET`, "Connection terminated", ...).
 * @param {unknown} e
 */
function isServerError(e) {
  const code = errorCode(e);
  // Class 08 (connection exception) and 57P0x (the server is shutting the session down) end the connection.
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}

/** @param {string} name @param {number} value */
function positive(name, value) {
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
    throw new RangeError(`${name} must be a finite number of ms > 0, got ${String(value)}`);
  }
  return value;
}
