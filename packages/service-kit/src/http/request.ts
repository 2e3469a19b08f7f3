import { type Request } from 'express';
import { z } from 'zod';
import { parseInput } from '../errors';

const Id = z.uuid();

/** A path id that is not a UUID cannot name anything: answered like a missing one (never a 400 oracle). */
export function idOf(req: Request, notFound: () => Error, param = 'id'): string {
  const r = Id.safeParse(req.params[param]);
  if (!r.success) throw notFound();
  return r.data;
}

const INPUT = Symbol('geminis.input');
type Parsed = { schema: z.ZodType; value: unknown };
type WithInput = Request & { [INPUT]?: { body?: Parsed; query?: Parsed } };

/** Validates the input a route declared (query first, then body) and keeps the parsed values on `req`. */
export function parseDeclaredInput(req: Request, declared: { body?: z.ZodType; query?: z.ZodType }): void {
  const input: { body?: Parsed; query?: Parsed } = {};
  if (declared.query) input.query = { schema: declared.query, value: parseInput(declared.query, req.query) };
  if (declared.body) input.body = { schema: declared.body, value: parseInput(declared.body, req.body ?? {}) };
  (req as WithInput)[INPUT] = input;
}

/** The value parsed before the handler ran, if the route declared this very schema. */
const declared = (parsed: Parsed | undefined, schema: z.ZodType): parsed is Parsed =>
  parsed?.schema === schema;

/**
 * The JSON body, validated; a 400 naming every invalid field otherwise. When the route declared this
 * schema as its `body`, the value parsed before the handler ran (nothing is parsed twice).
 */
export const bodyOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> => {
  const parsed = (req as WithInput)[INPUT]?.body;
  return declared(parsed, schema) ? (parsed.value as z.infer<T>) : parseInput(schema, req.body ?? {});
};

/** The query string, validated like `bodyOf` (a route's declared `query` is parsed once). */
export const queryOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> => {
  const parsed = (req as WithInput)[INPUT]?.query;
  return declared(parsed, schema) ? (parsed.value as z.infer<T>) : parseInput(schema, req.query);
};
