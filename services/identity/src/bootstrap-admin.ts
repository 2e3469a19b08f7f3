/**
 * One-shot command: create the first platform admin from the environment (a Secret in Kubernetes, the
 * compose file's variables), then exit. Production: `node services/identity/src/bootstrap-admin.js` in the
 * image; development: `npm run bootstrap:admin`.
 *
 *   DATABASE_URL                   identity's database (the same role identity uses)
 *   MIGRATION_DATABASE_URL         the same database as its owner role, when identity migrates as one
 *   BOOTSTRAP_ADMIN_EMAIL          the admin's login
 *   BOOTSTRAP_ADMIN_PASSWORD       its password (identity's policy: 10+ characters, not the email, …), or
 *   BOOTSTRAP_ADMIN_PASSWORD_FILE  a file holding it (a mounted secret)
 *   BOOTSTRAP_ADMIN_NAME           display name (default "Platform Admin")
 *
 * Exit 0 when the admin was created or the platform already has one (nothing changes then); exit 1 with
 * the reason otherwise (a weak password, a missing variable, an unreachable database).
 */
import { readFileSync } from 'node:fs';
import {
  createLogger,
  loadConfigOrExit,
  openPostgres,
  processEnv,
  ValidationError,
} from '@geminis/service-kit';
import { z } from 'zod';
import { bootstrapFirstAdmin } from './bootstrap';

const shape = {
  LOG_LEVEL: z.enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  DATABASE_URL: z.url(),
  MIGRATION_DATABASE_URL: z.url().optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.email(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().optional(),
  BOOTSTRAP_ADMIN_PASSWORD_FILE: z.string().optional(),
  BOOTSTRAP_ADMIN_NAME: z.string().min(1).max(200).optional(),
};

async function main(): Promise<number> {
  const { config } = loadConfigOrExit('bootstrap-admin', shape, processEnv());
  const logger = createLogger({ service: 'identity-bootstrap', level: config.LOG_LEVEL });
  const password =
    config.BOOTSTRAP_ADMIN_PASSWORD ??
    (config.BOOTSTRAP_ADMIN_PASSWORD_FILE
      ? readFileSync(config.BOOTSTRAP_ADMIN_PASSWORD_FILE, 'utf8').replace(/\r?\n$/, '')
      : undefined);
  if (!password) {
    logger.error({}, 'set BOOTSTRAP_ADMIN_PASSWORD or BOOTSTRAP_ADMIN_PASSWORD_FILE');
    return 1;
  }
  const db = openPostgres({ url: config.DATABASE_URL, applicationName: 'identity-bootstrap' });
  const migrationDb = config.MIGRATION_DATABASE_URL
    ? openPostgres({ url: config.MIGRATION_DATABASE_URL, max: 1, applicationName: 'identity-bootstrap' })
    : undefined;
  try {
    const result = await bootstrapFirstAdmin(
      db,
      {
        email: config.BOOTSTRAP_ADMIN_EMAIL,
        password,
        ...(config.BOOTSTRAP_ADMIN_NAME ? { name: config.BOOTSTRAP_ADMIN_NAME } : {}),
      },
      migrationDb,
    );
    if (result.created)
      logger.info({ userId: result.userId, email: result.email }, 'first platform admin created');
    else
      logger.info(
        { existingAdmins: result.existingAdmins },
        'the platform already has an admin: nothing to do',
      );
    return 0;
  } catch (err) {
    if (err instanceof ValidationError)
      logger.error({ problem: err.message }, 'refused: weak admin password');
    else logger.error({ err }, 'bootstrap failed');
    return 1;
  } finally {
    await db.close();
    await migrationDb?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bootstrap-admin failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
