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

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/**
 * A PATCH changes only the fields it names: a field the caller did not send is dropped from the parsed
 * body even when the schema gave it a default (a patch schema derived from a create schema with
 * `.partial()` keeps zod's defaults, and `{ description }` re-activated a withdrawn promotion and cleared
 * its limits). Fields inside a sent field are the caller's whole new value, defaults included.
 */
export function onlySentFields(parsed: unknown, sent: unknown): unknown {
  if (!isPlainObject(parsed) || !isPlainObject(sent)) return parsed;
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => Object.hasOwn(sent, key)));
}

/** Validates the input a route declared (query first, then body) and keeps the parsed values on `req`. */
export function parseDeclaredInput(req: Request, declared: { body?: z.ZodType; query?: z.ZodType }): void {
  const input: { body?: Parsed; query?: Parsed } = {};
  if (declared.query) input.query = { schema: declared.query, value: parseInput(declared.query, req.query) };
  if (declared.body) {
    const raw: unknown = req.body ?? {};
    const value: unknown = parseInput(declared.body, raw);
    input.body = {
      schema: declared.body,
      value: req.method === 'PATCH' ? onlySentFields(value, raw) : value,
    };
  }
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
  if (declared(parsed, schema)) return parsed.value as z.infer<T>;
  const raw: unknown = req.body ?? {};
  const value = parseInput(schema, raw);
  return (req.method === 'PATCH' ? onlySentFields(value, raw) : value) as z.infer<T>;
};

/** The query string, validated like `bodyOf` (a route's declared `query` is parsed once). */
export const queryOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> => {
  const parsed = (req as WithInput)[INPUT]?.query;
  return declared(parsed, schema) ? (parsed.value as z.infer<T>) : parseInput(schema, req.query);
};
