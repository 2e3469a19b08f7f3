import { type Database, type Outbox, type Tx } from '@geminis/service-kit';
import { type Cipher } from '../domain/crypto';
import { type Panels } from '../modules/panels';

export interface JobDeps {
  db: Database;
  outbox: Outbox;
  cipher: Cipher;
  panels: Panels;
}

/** What a step does once its panel work succeeded: the state change and the event, in the job's commit. */
export type Completion = (tx: Tx) => Promise<void>;

/**
 * A job that cannot succeed by being repeated as it is (no server with room, no domain, the account is
 * gone): it fails at once, visibly, with this message for staff. `retryable` tells billing whether staff
 * may fix something and retry (a full server) or not (the request itself is wrong).
 */
export class JobFailure extends Error {
  override name = 'JobFailure';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * The chain a job's result event belongs to: a job billing asked for carries its request's correlation
 * and is caused by that event; a job staff started by hand starts a chain of its own.
 */
export const causedBy = (job: { correlationId: string | null; eventId: string }) =>
  job.correlationId ? { correlationId: job.correlationId, causationId: job.eventId } : {};
