import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
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

/**
 * Sized for a development machine or a small VM, not for PostgreSQL's server defaults: the engine's
 * 128 MB of shared buffers (~160 MB resident once touched) were the largest part of `npm start`'s memory.
 * 16 MB holds the demo's working set many times over. PGlite's own start parameters are kept.
 */
const EMBEDDED_TUNING = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB'],
};

/**
 * A new data directory is initialised (initdb) in a short-lived child process: initdb runs a second
 * engine and its WebAssembly memory, which the allocator keeps mapped after it is freed — a first start
 * idled ~200 MB above every later one. The child leaves the directory as the engine expects to resume it.
 */
async function initialiseDataDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const module = pathToFileURL(require.resolve('@electric-sql/pglite')).href;
  const script = `
    const { PGlite } = await import(${JSON.stringify(module)});
    const db = new PGlite(${JSON.stringify(dataDir)}, { startParams: ${JSON.stringify(EMBEDDED_TUNING.startParams)} });
    await db.waitReady;
    await db.close();`;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 });
}

export async function openEmbeddedPostgres(options: { dataDir?: string }): Promise<EmbeddedPostgres> {
  if (options.dataDir) await initialiseDataDir(options.dataDir);
  const engine = new PGlite({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...EMBEDDED_TUNING });
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
    // In process there is no round trip to save: a read is an ordinary tenant transaction here.
    readWithTenant: withTenantOver(transaction),
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
