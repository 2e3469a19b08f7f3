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

/** The JSON body, validated; a 400 naming every invalid field otherwise. */
export const bodyOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> =>
  parseInput(schema, req.body ?? {});

/** The query string, validated; a 400 naming every invalid parameter otherwise. */
export const queryOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> =>
  parseInput(schema, req.query);
