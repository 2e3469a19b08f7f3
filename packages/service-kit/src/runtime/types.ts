import { type Bus } from '../bus/types';
import { type Database, type MigrationSource } from '../db';
import { type EventHandler, type Outbox } from '../outbox';
import { type Job } from '../scheduler/scheduler';
import { type Routes } from '../http/router';
import { type TokenVerifier } from '../auth/verifier';

/**
 * How a service plugs into the kit. A service module exports a function returning a ServiceDefinition;
 * `runService` (one place for every service) checks the database role, applies the kit's and the service's
 * migrations, starts the outbox relay, builds the service, serves its routes, starts its consumer and
 * jobs, and drains all of it on shutdown. `npm start` runs several definitions in one process on shared
 * embedded infrastructure; each service's `main.ts` runs one against real PostgreSQL and RabbitMQ.
 */
export interface ServiceDefinition<TBuilt extends BuiltService = BuiltService> {
  /** `identity`, `catalog`…: the queue name, the inbox consumer name and the embedded schema/role. */
  name: string;
  /** The service's own committed SQL migrations (the kit's are applied first). */
  migrations: MigrationSource[];
  build(ctx: ServiceContext): Promise<TBuilt>;
}

export interface KitLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): KitLogger;
}

export interface ServiceContext {
  name: string;
  db: Database;
  bus: Bus;
  /** Writes events in the caller's transaction; source = the service name. */
  outbox: Outbox;
  logger: KitLogger;
}

export interface BuiltService {
  /** Route collections served by the service's HTTP app. */
  routes: Routes[];
  /** Overrides the verifier given to runService (identity verifies with its own keys). */
  verifier?: TokenVerifier;
  /** Event handlers by event type; each runs in the inbox transaction with the event's tenant set. */
  handlers?: Record<string, EventHandler>;
  /** Periodic jobs (run once per period across replicas). */
  jobs?: Job[];
  /** Extra readiness checks besides the database and the bus. */
  readiness?: Record<string, () => Promise<void>>;
  /** Paths whose request bodies must reach the handler as raw bytes (signed callbacks). */
  rawBodyPaths?: string[];
  /** Releases what build() acquired. */
  stop?(): Promise<void>;
}
