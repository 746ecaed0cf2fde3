// Test support: the engines every store test runs against. PGlite always; a real PostgreSQL when
// TEST_DATABASE_URL is set (.ci/run starts one), and CI refuses to run without it rather than skip silently.

import { randomBytes } from 'node:crypto';
import { openDb, type Db } from './db.ts';

export interface Engine {
  readonly name: 'pglite' | 'postgres';
  open(): Promise<Db>;
}

export function testEngines(): Engine[] {
  const url = process.env.TEST_DATABASE_URL;
  if (!url && process.env.CI) throw new Error('TEST_DATABASE_URL must be set in CI: .ci/run starts PostgreSQL');
  const engines: Engine[] = [{ name: 'pglite', open: () => openDb() }];
  if (url) {
    engines.push({
      name: 'postgres',
      // A schema per test file keeps files apart on one server.
      open: async () => {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const db = await openDb({ databaseUrl: url, schema, poolSize: 20 });
        return {
          ...db,
          close: async () => {
            await db.query(`DROP SCHEMA ${schema} CASCADE`);
            await db.close();
          },
        };
      },
    });
  }
  return engines;
}
