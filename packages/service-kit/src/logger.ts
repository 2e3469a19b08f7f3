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

/**
 * Redacted paths: credentials, tokens, secrets and one-time codes, plus credential headers. A bare `code`
 * is only redacted inside request bodies and inputs (a TOTP or reset code), not everywhere: `err.code`
 * (ECONNREFUSED, …) and our own error codes stay readable.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  'body.code',
  'input.code',
  '*.body.code',
  '*.input.code',
];

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
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
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
