import { bearerToken, queryOf, UnauthenticatedError } from '@geminis/service-kit';
import { type Request, type Response } from 'express';
import { z } from 'zod';
import { invalidField } from '../domain/errors';

export { bodyOf, idOf, queryOf } from '@geminis/service-kit';

/** `?tenantId=`: an admin's explicit narrowing (ignored for everyone else by the scope rules). */
export const TenantQuery = z.object({ tenantId: z.uuid().optional() }).strict();
export const tenantOf = (req: Request): string | undefined => queryOf(req, TenantQuery).tenantId;

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header: 1–255 visible ASCII characters (a UUID is a good one), or none. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !KEY.test(key))
    throw invalidField('request.invalid', 'Idempotency-Key', '1 to 255 visible ASCII characters');
  return key;
}

/** The caller's own access token, forwarded to catalog's quote (already verified by the route). */
export function tokenOf(req: Request): string {
  const token = bearerToken(req);
  if (!token) throw new UnauthenticatedError('auth.missing_token', 'a bearer access token is required');
  return token;
}

/** Sends an answer that may be a replay of a stored one (marked so the caller can tell). */
export function sendAnswer(res: Response, a: { status: number; body: unknown; replayed: boolean }): void {
  if (a.replayed) res.setHeader('idempotent-replayed', 'true');
  res.status(a.status).json(a.body);
}
