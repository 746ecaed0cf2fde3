// One SQL dialect, two engines: PGlite (Postgres in WASM, embedded, the default) and a real PostgreSQL server
// through a pg pool when DATABASE_URL is set. Both answer the same `query`/`transaction` interface; the plain SQL
// migrations in ./migrations run at open, under an advisory lock so several BFF processes can start together.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A PostgreSQL connection string; without one, PGlite. */
  readonly databaseUrl?: string | undefined;
  /** PGlite's data directory; without one, memory only. */
  readonly dataDir?: string | undefined;
  /** PostgreSQL only: a schema to work in (created if missing), so test files can share one server. */
  readonly schema?: string | undefined;
  readonly poolSize?: number | undefined;
}

const MIGRATIONS = fileURLToPath(new URL('./migrations/', import.meta.url));
const INT8 = 20;

/** int8 as a JS number: amounts are kept within the safe-integer range, and anything past it is an error. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`int8 value ${text} is outside the safe-integer range`);
  return value;
}

export async function openDb(options: OpenOptions = {}): Promise<Db> {
  const db = options.databaseUrl ? await openPostgres(options.databaseUrl, options) : await openPglite(options.dataDir);
  await migrate(db);
  return db;
}

async function openPglite(dataDir: string | undefined): Promise<Db> {
  const lite = new PGlite({ ...(dataDir ? { dataDir } : {}), parsers: { [INT8]: parseInt8 } });
  await lite.waitReady;
  // PGlite is one connection: it queues queries itself, and `transaction` holds it exclusively until done.
  const run = async <Row>(target: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]) =>
    (await target.query<Row>(sql, params ? [...params] : undefined)).rows;
  return {
    engine: 'pglite',
    query: (sql, params) => run(lite, sql, params),
    transaction: (work) => lite.transaction((tx) => work({ query: (sql, params) => run(tx, sql, params) })),
    close: () => lite.close(),
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Db> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await admin.end();
  }
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8, parseInt8);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types,
  });
  return {
    engine: 'postgres',
    query: async (sql, params) => (await pool.query(sql, params ? [...params] : undefined)).rows,
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: async (sql, params) => (await client.query(sql, params ? [...params] : undefined)).rows });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Applies the migrations not yet applied, in file-name order, each in its own transaction. */
export async function migrate(db: Db): Promise<string[]> {
  const files = readdirSync(MIGRATIONS)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  const applied: string[] = [];
  await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const file of files) {
    const done = await db.transaction(async (tx) => {
      // Serialises concurrent starts: the second process waits, then sees the migration applied.
      await tx.query('SELECT pg_advisory_xact_lock(7216001)');
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [file]);
      if (seen.length > 0) return false;
      for (const statement of splitStatements(readFileSync(MIGRATIONS + file, 'utf8'))) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
      return true;
    });
    if (done) applied.push(file);
  }
  return applied;
}

/** Splits a migration into statements (parameterised `query` takes one at a time). Migrations use no `;` inside strings. */
function splitStatements(sql: string): string[] {
  return sql
    .replace(/--.*$/gm, '')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
