import { authOf, parseInput } from '@geminis/service-kit';
import { type Request } from 'express';
import { z } from 'zod';
import { type Actor } from '../domain/context';

export const actorOf = (req: Request): Actor => ({ auth: authOf(req), ip: req.ip });

const IdParam = z.object({ id: z.uuid() });

/** A path id that is not a UUID cannot name anything: answered as not found, like a missing one. */
export function idOf(req: Request, notFound: () => Error): string {
  const r = IdParam.safeParse(req.params);
  if (!r.success) throw notFound();
  return r.data.id;
}

export const bodyOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> =>
  parseInput(schema, req.body ?? {});

export const queryOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> =>
  parseInput(schema, req.query);
