import { baseConfig, loadConfigOrExit, processEnv } from '@geminis/service-kit';
import { z } from 'zod';

/** `npm start`: every service in one process; embedded unless real URLs are given. */
export const startConfigShape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Loopback unless told otherwise: the demo publishes its passwords. HOST=0.0.0.0 listens everywhere. */
  HOST: z.string().default('127.0.0.1'),
  GEMINIS_DATA_DIR: z.string().default('.data'),
  /** A PostgreSQL server URL (superuser or a role that may create databases): one database per service. */
  DATABASE_URL: z.url().optional(),
  AMQP_URL: z.url().optional(),
};

export const loadStartConfig = () => loadConfigOrExit('geminis', startConfigShape, processEnv());
