import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './broker-instance';
import { type TestDatabase } from './postgres';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of a test's own (initdb in a temporary directory, its own port and socket
 * directory, trust authentication), for fault tests that stop PostgreSQL: the machine's shared server is
 * never touched. Its data survives stopImmediate()/start(), and destroy() removes it.
 */
export interface PostgresInstance {
  port: number;
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  /** A new database owned by an ordinary role (non-superuser, no BYPASSRLS), as createTestDatabase. */
  createDatabase(prefix?: string): Promise<TestDatabase>;
  /** `pg_ctl stop -m immediate`: every backend dies at once, no checkpoint (a crash, for clients). */
  stopImmediate(): Promise<void>;
  /** Starts the cluster and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the cluster and removes its files. */
  destroy(): Promise<void>;
}

const TEST_ROLE = 'geminis_test';

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** PostgreSQL refuses to run as root: as root, run its tools as the postgres user (which owns the files). */
async function asPostgres(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPostgresInstance(prefix = 'geminis-pg'): Promise<PostgresInstance> {
  const base = join(tmpdir(), `${prefix}-${randomBytes(3).toString('hex')}`);
  const data = join(base, 'data');
  const port = await freePort();
  const bin = binDir();
  const owner = await asPostgres();
  mkdirSync(base, { recursive: true });
  if (owner) chownSync(base, owner.uid, owner.gid);

  const tool = (name: string, args: string[]) =>
    owner
      ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args], { timeout: 60_000, cwd: base })
      : run(join(bin, name), args, { timeout: 60_000, cwd: base });

  await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // -w waits for the server to accept connections. -l: pg_ctl's output to a file, not our pipes (which
  // the server would keep open). fsync off: the data is thrown away after the test anyway.
  const start = async () => {
    await tool('pg_ctl', [
      '-D',
      data,
      '-l',
      join(base, 'server.log'),
      '-w',
      '-o',
      `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`,
      'start',
    ]);
  };
  const stopImmediate = async () => {
    await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await start();

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const asAdmin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  await asAdmin((c) => c.query(`CREATE ROLE ${TEST_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS`));

  return {
    port,
    adminUrl,
    async createDatabase(dbPrefix = 'gm_test') {
      const name = `${dbPrefix}_${randomBytes(6).toString('hex')}`;
      await asAdmin((c) => c.query(`CREATE DATABASE ${name} OWNER ${TEST_ROLE}`));
      return {
        name,
        url: `postgres://${TEST_ROLE}@127.0.0.1:${port}/${name}`,
        adminUrl: `postgres://postgres@127.0.0.1:${port}/${name}`,
        drop: () =>
          asAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)),
      };
    },
    stopImmediate,
    start,
    async destroy() {
      await stopImmediate().catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
