import pg from 'pg';

/** With CI=true the PostgreSQL suites run, and fail if the server is missing; otherwise they skip. */
export const POSTGRES_REQUIRED = process.env.CI === 'true';

/**
 * The machine's PostgreSQL, as `.ci/run` starts it: 127.0.0.1:5432, trust auth, database `test`,
 * user `PGUSER` or `postgres` (override with PGHOST, PGPORT, PGDATABASE).
 */
export const POSTGRES = Object.freeze({
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  database: process.env.PGDATABASE ?? 'test',
  user: process.env.PGUSER ?? 'postgres',
});

/** Resolves whether the server answers `select 1` within `timeoutMs`. */
export async function pingPostgres(timeoutMs = 2_000): Promise<boolean> {
  const client = new pg.Client({ ...POSTGRES, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A direct connection (not through any proxy) to watch the server: what `pg_stat_activity` shows
 * of an application's connections.
 */
export class PostgresMonitor {
  private constructor(private readonly client: pg.Client) {}

  static async connectAsync(): Promise<PostgresMonitor> {
    const client = new pg.Client({ ...POSTGRES, application_name: 'dw-test-monitor' });
    client.on('error', () => {});
    await client.connect();
    return new PostgresMonitor(client);
  }

  /** Server-side connections of `applicationName`. */
  async connections(applicationName: string): Promise<number> {
    const r = await this.client.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    return r.rows[0]!.n;
  }

  /** Queries of `applicationName` the server is still running. */
  async activeQueries(applicationName: string): Promise<number> {
    const r = await this.client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where application_name = $1 and state = 'active'",
      [applicationName],
    );
    return r.rows[0]!.n;
  }

  /** Ends every connection of `applicationName` (cleanup after a failed run). */
  async terminate(applicationName: string): Promise<void> {
    await this.client.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
      applicationName,
    ]);
  }

  async endAsync(): Promise<void> {
    await this.client.end();
  }
}
