import { z } from 'zod';

export const Id = z.uuid();
export const Email = z.email().max(254);
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR');
/** Integer minor units (cents, or yen for 0-decimal currencies), within the JS safe integer range. */
export const MinorUnits = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
export const Role = z.enum(['admin', 'reseller', 'client']);
export const UserStatus = z.enum(['active', 'inactive', 'suspended']);
export const ResellerStatus = z.enum(['active', 'suspended']);
export const Language = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag like en or pt-BR');
export const Domain = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'a lower-case host name');
