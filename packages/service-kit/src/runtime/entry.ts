import { z } from 'zod';
import { baseConfig, secret, type ConfigOf } from '../config';
import { type BuiltService, type ServiceDefinition } from './types';

/**
 * The variables every standalone service reads, declared once here (STYLE.md: config validated once at
 * boot). A service declares only its own variables in its entry; `launch` validates both together and
 * reports every invalid one before anything starts.
 */
export const sharedServiceConfig = {
  ...baseConfig,
  HOST: z.string().default('0.0.0.0'),
  /** The service's own PostgreSQL database; its role must be neither superuser nor BYPASSRLS. */
  DATABASE_URL: z.url(),
  /**
   * The same database as the role that owns its tables, for migrations only (opened at start, closed
   * after). Set it in production: the runtime role then holds only grants and owns nothing, so it cannot
   * turn row-level security off (infra/postgres/init.sql creates both roles).
   */
  MIGRATION_DATABASE_URL: z.url().optional(),
  AMQP_URL: z.url(),
  /** Where identity publishes its signing keys. */
  JWKS_URL: z.url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('https://identity.geminis.local'),
  JWT_AUDIENCE: z.string().min(1).default('geminis'),
  /** The shared key of service-only routes (`{ service: true }`). */
  INTERNAL_SERVICE_KEY: secret(32),
  /**
   * Diagnostics: published outbox rows are kept (marked published) instead of deleted once the broker
   * confirmed them — bench/provisioning reads when each event left. Nothing prunes them: not for production.
   */
  OUTBOX_KEEP_PUBLISHED: z.enum(['true', 'false']).default('false'),
};

export type SharedServiceConfig = ConfigOf<typeof sharedServiceConfig> & { PORT: number };

/**
 * What a service module exports for `launch` (its main.ts) and `npm start`: its name, default port, its
 * own configuration variables, and how its definition is made from them. Nothing here opens anything.
 */
export interface ServiceEntry<
  S extends z.ZodRawShape = z.ZodRawShape,
  TBuilt extends BuiltService = BuiltService,
> {
  name: string;
  /** Default PORT of the standalone service. */
  port: number;
  /** The service's own environment variables (zod shape); the shared ones are added by the kit. */
  config: S;
  definition(config: ConfigOf<S>, shared: SharedServiceConfig): ServiceDefinition<TBuilt>;
}

/** Declares a service entry with its config types inferred. */
export function defineServiceEntry<S extends z.ZodRawShape, TBuilt extends BuiltService>(
  entry: ServiceEntry<S, TBuilt>,
): ServiceEntry<S, TBuilt> {
  return entry;
}

/** Any service's entry (a list of services, a launcher), whatever its own variables. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceEntry = ServiceEntry<any, any>;
