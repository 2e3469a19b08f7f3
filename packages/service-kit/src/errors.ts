import { type z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  fieldErrors?: FieldError[];
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The one error family (STYLE.md): a namespaced code (`billing.invoice_not_found`), a status implied by
 * the subclass, and a detail safe to show the caller. Domain code throws these and never imports express;
 * one middleware turns them into application/problem+json.
 */
export class AppError extends Error {
  readonly fieldErrors?: FieldError[];
  readonly retryAfterSeconds?: number;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.fieldErrors) this.fieldErrors = options.fieldErrors;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

const make = (status: number, name: string) =>
  class extends AppError {
    constructor(code: string, detail: string, options?: AppErrorOptions) {
      super(status, code, detail, options);
      this.name = name;
    }
  };

export class ValidationError extends make(400, 'ValidationError') {}
export class UnauthenticatedError extends make(401, 'UnauthenticatedError') {}
export class ForbiddenError extends make(403, 'ForbiddenError') {}
export class NotFoundError extends make(404, 'NotFoundError') {}
export class ConflictError extends make(409, 'ConflictError') {}
export class PayloadTooLargeError extends make(413, 'PayloadTooLargeError') {}
export class UnsupportedMediaTypeError extends make(415, 'UnsupportedMediaTypeError') {}
export class BusinessRuleError extends make(422, 'BusinessRuleError') {}
export class TooManyRequestsError extends make(429, 'TooManyRequestsError') {}
export class UpstreamError extends make(502, 'UpstreamError') {}
export class UnavailableError extends make(503, 'UnavailableError') {}

/** Zod issues as field errors with dotted paths (`items.0.price`); `(root)` for the value itself. */
export function fieldErrorsOf(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/** Parses input or throws a 400 naming every invalid field. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  code = 'request.invalid',
): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fieldErrors = fieldErrorsOf(result.error);
  throw new ValidationError(
    code,
    `invalid request: ${fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { fieldErrors },
  );
}
