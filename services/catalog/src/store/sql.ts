import { sql, type SQL } from 'drizzle-orm';

// The tenancy helpers are the kit's (one filter, one unique-violation reader for every service).
export { isUniqueViolation, pgError, tenantIs, writeTenant } from '@geminis/service-kit';

export const json = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`;
