import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { rows, type Database } from './types';

export interface MigrationSource {
  /** Prefix recorded with each file name, e.g. `kit` or the service name. */
  name: string;
  dir: string;
}

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export const KIT_MIGRATIONS: MigrationSource = { name: 'kit', dir: join(__dirname, 'migrations') };

export function loadMigrations(sources: MigrationSource[]): Migration[] {
  return sources.flatMap((source) =>
    readdirSync(source.dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((file) => {
        const text = readFileSync(join(source.dir, file), 'utf8');
        return {
          id: `${source.name}/${file}`,
          sql: text,
          checksum: createHash('sha256').update(text).digest('hex'),
        };
      }),
  );
}

/**
 * Applies the committed SQL migrations that have not been applied yet, in order, in one transaction
 * serialised by an advisory lock (several replicas may start at once). An applied migration whose file
 * has since changed is an error: migrations are append-only.
 */
export async function migrate(db: Database, sources: MigrationSource[]): Promise<string[]> {
  const migrations = loadMigrations([KIT_MIGRATIONS, ...sources]);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('geminis.migrations'))`);
    await tx.execute(sql`
      create table if not exists schema_migrations (
        id text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
    const applied = new Map(
      (await rows<{ id: string; checksum: string }>(tx, sql`select id, checksum from schema_migrations`)).map(
        (r) => [r.id, r.checksum],
      ),
    );
    const done: string[] = [];
    for (const m of migrations) {
      const previous = applied.get(m.id);
      if (previous !== undefined) {
        if (previous !== m.checksum) throw new Error(`migration ${m.id} was edited after it was applied`);
        continue;
      }
      await db.execScript(tx, m.sql);
      await tx.execute(sql`insert into schema_migrations (id, checksum) values (${m.id}, ${m.checksum})`);
      done.push(m.id);
    }
    return done;
  });
}
