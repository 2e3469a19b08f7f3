import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { withTenantOver } from './tenant-context';
import { assertIdentifier, type Database, type Tx } from './types';

/**
 * Embedded PostgreSQL for the one-command start: ONE PGlite engine (each costs seconds and ~200 MB) with a
 * schema and a role per service (DESIGN.md §4 allows this). Every transaction switches to the service's
 * role and schema with SET LOCAL, so the service runs as a role that is neither superuser nor BYPASSRLS,
 * and row-level security applies exactly as on a real server.
 */
export interface EmbeddedPostgres {
  database(service: string): Promise<Database>;
  close(): Promise<void>;
}

export async function openEmbeddedPostgres(options: { dataDir?: string }): Promise<EmbeddedPostgres> {
  const engine = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await engine.waitReady;
  const orm = drizzle(engine);
  return {
    async database(service) {
      const name = assertIdentifier(service, 'service name');
      // Creating the role and schema needs the engine's superuser; nothing else runs as it.
      await engine.exec(`
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${name}') THEN
            CREATE ROLE ${name} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
        CREATE SCHEMA IF NOT EXISTS ${name} AUTHORIZATION ${name};`);
      return pgliteDatabase(engine, orm, name);
    },
    async close() {
      await engine.close();
    },
  };
}

function pgliteDatabase(engine: PGlite, orm: ReturnType<typeof drizzle>, schema: string): Database {
  const transaction = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    orm.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL ROLE ${schema}`));
      await tx.execute(sql.raw(`SET LOCAL search_path TO ${schema}`));
      return fn(tx);
    });
  return {
    kind: 'pglite',
    transaction,
    withTenant: withTenantOver(transaction),
    async listen(channel, onNotify) {
      // Channels are shared by the services on this engine: a notification only wakes a poller early.
      return engine.listen(assertIdentifier(channel, 'channel'), onNotify);
    },
    async execScript(tx, script) {
      // drizzle's pglite transaction keeps the engine's transaction as session.client; only its exec()
      // accepts several statements.
      const client = (tx as unknown as { session: { client: { exec(q: string): Promise<unknown> } } }).session
        .client;
      await client.exec(script);
    },
    async check() {
      await transaction((tx) => tx.execute(sql`select 1`));
    },
    async close() {
      // The engine is shared by every service in the process; EmbeddedPostgres.close() closes it.
    },
  };
}
