/**
 * Tells a failure of the database itself (down, restarting, unreachable, read-only after a failover,
 * out of connections, a lock or serialization conflict) from a failure caused by the statement or its
 * data (a constraint, a bad value). The first kind is retried until the database is back — it must never
 * use up an event's delivery attempts or answer a caller 500; the second is the request's or event's own.
 */

/** SQLSTATE classes and codes that say "the database could not do it now", not "this cannot be done". */
const TRANSIENT_CLASSES = new Set([
  '08', // connection exception
  '53', // insufficient resources (too many connections, out of memory or disk)
  '57', // operator intervention (admin shutdown, crash shutdown, cannot connect now, query canceled)
  '58', // system error (I/O)
]);
const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock timeout)
  '25006', // read_only_sql_transaction: a standby after a failover, or writes refused for maintenance
  '55000', // object_not_in_prerequisite_state: "database … is not currently accepting connections"
  '28000', // invalid_authorization_specification: the role may not log in right now
  '3D000', // invalid_catalog_name: the database is not there (being restored)
]);

/** Node socket errors and node-postgres's own messages for a connection that went away. */
const TRANSIENT_SYSCALL = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /connection (?:is )?closed/i,
  /cannot use a pool after calling end/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
];

function* causes(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = err;
  while (current !== undefined && current !== null && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    yield current;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
}

/** True when `err` (or an error it wraps, e.g. drizzle's query error) is the database being unavailable. */
export function isTransientDatabaseError(err: unknown): boolean {
  for (const e of causes(err)) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (
        /^[0-9A-Z]{5}$/.test(code) &&
        (TRANSIENT_CLASSES.has(code.slice(0, 2)) || TRANSIENT_CODES.has(code))
      )
        return true;
      if (TRANSIENT_SYSCALL.has(code)) return true;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** What a statement's data error means for the caller who sent the data. */
export interface DataErrorMeaning {
  status: 400 | 409 | 422;
  code: string;
  detail: string;
}

/**
 * The safety net under every route's schema: a value the database refused because of the value itself
 * (SQLSTATE class 22, data exception — 22P05 untranslatable character, 22021 invalid byte sequence, 22003
 * numeric out of range, 22008 datetime overflow, 22P02 invalid text representation, 22001 string too long)
 * or because it breaks an integrity rule (class 23) is the caller's input, not our failure: a 4xx, never
 * a 500. Schemas should refuse such input first; this only keeps a gap in one from becoming a 500.
 */
export function databaseDataError(err: unknown): DataErrorMeaning | undefined {
  for (const e of causes(err)) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) continue;
    if (code.startsWith('22')) {
      return {
        status: 400,
        code: 'request.invalid_value',
        detail: 'a value in the request cannot be stored',
      };
    }
    if (code === '23505' || code === '23P01') {
      return { status: 409, code: 'request.conflict', detail: 'this conflicts with something that exists' };
    }
    if (code === '23503') {
      return {
        status: 422,
        code: 'request.invalid_reference',
        detail: 'the request refers to something that cannot be used',
      };
    }
    if (code.startsWith('23')) {
      return { status: 422, code: 'request.invalid_value', detail: 'the request breaks a rule of the data' };
    }
  }
  return undefined;
}
