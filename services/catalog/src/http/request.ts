import { parseInput } from '@geminis/service-kit';
import { type Request } from 'express';
import { z } from 'zod';

const IdParam = z.object({ id: z.uuid() });

/** A path id that is not a UUID cannot name anything: answered like a missing one. */
export function idOf(req: Request, notFound: () => Error, param = 'id'): string {
  const r = IdParam.safeParse({ id: req.params[param] });
  if (!r.success) throw notFound();
  return r.data.id;
}

export const bodyOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> =>
  parseInput(schema, req.body ?? {});

export const queryOf = <T extends z.ZodType>(req: Request, schema: T): z.infer<T> =>
  parseInput(schema, req.query);

/** `?tenantId=`: an admin's explicit narrowing (ignored for everyone else by the scope rules). */
export const TenantQuery = z.object({ tenantId: z.uuid().optional() }).strict();
export const tenantOf = (req: Request): string | undefined => queryOf(req, TenantQuery).tenantId;
