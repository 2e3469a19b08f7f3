import pino from 'pino';

export type Logger = pino.Logger;

/** Fields that must never reach a log line, wherever they sit (top level or up to three levels down). */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'apiKey',
  'totp',
  'totpCode',
  'otp',
  'recoveryCode',
  'recoveryCodes',
];

const SECRET_KEYS = new Set(SECRET_FIELDS);
/** A bare `code` is a secret only inside a request body or an input (a TOTP or reset code). */
const CODE_PARENTS = new Set(['body', 'input']);
const CENSOR = '[redacted]';
const MAX_DEPTH = 8;

/**
 * Credential headers, redacted by path after pino's serializers have turned `req`/`res` into plain
 * objects, and secret names at the top level (which covers child bindings). Explicit paths only: pino's wildcard paths cost ~50 µs a line (measured with 60 of them),
 * which every access line paid; secret fields at any depth are handled by `redactSecrets` instead.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-geminis-service-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-geminis-service-key"]',
  // Top-level names again as paths: pino formats a child's bindings without formatters.log.
  ...SECRET_FIELDS,
];

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * `value` with every secret field (credentials, tokens, secrets, one-time codes) censored, at any depth
 * of plain objects and arrays. One walk over the logged object instead of a lookup per wildcard path;
 * only the objects on the way to a secret are copied, so the caller's object is never changed. Errors,
 * requests and other class instances are left to pino's serializers (and REDACT_PATHS).
 */
export function redactSecrets(value: unknown, parentKey = '', depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const list = value as unknown[];
    let copy: unknown[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const redacted = redactSecrets(item, parentKey, depth + 1);
      if (redacted !== item) (copy ??= [...list])[i] = redacted;
    }
    return copy ?? list;
  }
  if (!isPlain(value)) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const secret = SECRET_KEYS.has(key) || (key === 'code' && CODE_PARENTS.has(parentKey));
    const redacted = secret ? (item === undefined ? item : CENSOR) : redactSecrets(item, key, depth + 1);
    if (redacted !== item) (copy ??= { ...record })[key] = redacted;
  }
  return copy ?? record;
}

export interface LoggerOptions {
  service: string;
  /** A pino level or 'silent'. Default 'info'. */
  level?: string;
  /** Where lines go. Default stdout (tests pass a stream to read them). */
  destination?: pino.DestinationStream;
}

/** The JSON logger of a service, with credentials, tokens, secrets and one-time codes redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.service,
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      formatters: {
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/**
 * stdout written in batches (up to 4 KB, or every 250 ms when quieter), not one write(2) per line: a
 * service's access line on every request was one of the biggest costs of its request path after the sockets
 * themselves. Every line is still written; pino flushes what is buffered when the process exits (a drain, a
 * crash); only a SIGKILL can lose the last quarter second of lines.
 */
export function batchedStdout(): pino.DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 250).unref();
  return destination;
}

/** A field of an access line: plain values only (no objects, nothing to walk or redact). */
export type AccessField = string | number | boolean | undefined;

/**
 * Writes `logger`'s lines of one fixed shape — the access line of every request — straight to its
 * destination: the same JSON pino would write (`level`, `time`, the logger's bindings, the fields in their
 * order, `msg`), without pino's generic path (the redaction walk, the redact paths, its serialisers): in
 * the gateway's process that path cost 20–50 µs of CPU per line under load, a fifth of its hop. For lines
 * whose fields the caller chose and none of which can hold a secret; undefined fields are left out, as
 * pino leaves them. Nothing is written below the logger's level (as it is at each line).
 */
export function accessLine(logger: Logger, msg: string) {
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!;
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  const tail = `,"msg":${JSON.stringify(msg)}}\n`;
  const write = (level: number, fields: Record<string, AccessField>) => {
    let line = `{"level":${level},"time":"${new Date().toISOString()}"${bindings}`;
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      line += `,"${key}":${JSON.stringify(value)}`;
    }
    stream.write(line + tail);
  };
  return {
    info(fields: Record<string, AccessField>): void {
      if (logger.levelVal <= 30) write(30, fields);
    },
    warn(fields: Record<string, AccessField>): void {
      if (logger.levelVal <= 40) write(40, fields);
    },
  };
}

/** What a per-request or per-message logger carries (STYLE.md). */
export interface LogContext {
  requestId?: string;
  /** A message's id, for consumers. */
  messageId?: string;
  traceId?: string;
  tenantId?: string;
  [field: string]: unknown;
}

/** A child logger for one request or one message; undefined fields are left out. */
export function childLogger(logger: Logger, fields: LogContext): Logger {
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return logger.child(defined);
}
