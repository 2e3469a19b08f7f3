import { type NextFunction, type Request, type Response } from 'express';
import { ValidationError, type FieldError } from '../errors';

/**
 * Input no route can mean, refused for every service before any schema or handler sees it: a NUL
 * character (PostgreSQL text cannot hold 0x00, so it fails deep in a statement as a 500), a lone UTF-16
 * surrogate (not Unicode: silently turned into U+FFFD on its way to the database), an object key that
 * names a prototype (`__proto__` is dropped by every parse that builds a plain object, so the caller's
 * field disappears with a 2xx), and nesting deeper than any of our bodies (a stack for the validators).
 * What is left — lengths, formats, ranges — is each route's schema's job.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_INPUT_DEPTH = 32;
const MAX_REPORTED = 20;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain a NUL character';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (a lone surrogate was sent)';
  return undefined;
}

/** Every field of `input` that no schema should be asked about, with a dotted path under `root`. */
export function hostileInput(input: unknown, root: string): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string[]; depth: number }[] = [
    { value: input, path: root ? [root] : [], depth: 0 },
  ];
  const name = (path: string[]) => (path.length > 0 ? path.join('.') : '(root)');
  while (stack.length > 0 && errors.length < MAX_REPORTED) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const message = problemOf(value);
      if (message) errors.push({ field: name(path), message });
      continue;
    }
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) continue;
    if (depth >= MAX_INPUT_DEPTH) {
      errors.push({ field: name(path), message: `is nested deeper than ${MAX_INPUT_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, String(i)], depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const keyProblem = FORBIDDEN_KEYS.has(key) ? 'is not an accepted field name' : problemOf(key);
      if (keyProblem) {
        errors.push({ field: name([...path, key.replace(/[^\x20-\x7e]/g, '?')]), message: keyProblem });
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 });
    }
  }
  return errors;
}

function refuse(errors: FieldError[]): ValidationError {
  return new ValidationError(
    'request.invalid',
    `invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { fieldErrors: errors },
  );
}

/** Middleware: the parsed JSON body and the query string (path parameters are checked per route). */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  const errors = [
    ...hostileInput(req.query, ''),
    ...(Buffer.isBuffer(req.body) ? [] : hostileInput(req.body, '')),
  ];
  if (errors.length > 0) return next(refuse(errors));
  next();
}

/** No path segment we route on (ids, codes, TLDs, host names) is longer; the API document says so. */
export const MAX_PATH_PARAM_LENGTH = 255;

/**
 * Path parameters of the matched route (`:id`, `:code`…): a NUL or lone surrogate is refused the same way,
 * and so is a value longer than any id or name we route on (unbounded input, OWASP API4).
 */
export function assertSafeParams(req: Request): void {
  const errors = hostileInput({ ...req.params }, '');
  for (const [name, value] of Object.entries(req.params)) {
    if (typeof value === 'string' && value.length > MAX_PATH_PARAM_LENGTH)
      errors.push({ field: name, message: `must be at most ${MAX_PATH_PARAM_LENGTH} characters` });
  }
  if (errors.length > 0) throw refuse(errors);
}
