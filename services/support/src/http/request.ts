import { queryOf } from '@geminis/service-kit';
import { type Request } from 'express';
import { z } from 'zod';

export { bodyOf, idOf, queryOf } from '@geminis/service-kit';

/** `?tenantId=`: an admin's explicit narrowing (ignored for everyone else by the scope rules). */
export const TenantQuery = z.object({ tenantId: z.uuid().optional() }).strict();
export const tenantOf = (req: Request): string | undefined => queryOf(req, TenantQuery).tenantId;

export const STAFF = { roles: ['admin', 'reseller'] as const };
export const ANYONE = { roles: ['admin', 'reseller', 'client'] as const };
