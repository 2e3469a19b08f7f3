import { z } from 'zod';

export const Id = z.uuid();
export const Email = z.email().max(254);
export const Currency = z
  .string()
  .length(3)
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR');
/** Integer minor units (cents, or yen for 0-decimal currencies), within the JS safe integer range. */
export const MinorUnits = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
export const Role = z.enum(['admin', 'reseller', 'client']);
export const UserStatus = z.enum(['active', 'inactive', 'suspended']);
export const ResellerStatus = z.enum(['active', 'suspended']);
export const Language = z
  .string()
  .max(5)
  .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag like en or pt-BR');
export const Domain = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'a lower-case host name');

/**
 * Input primitives every service's request schemas build on, so each inherits what PostgreSQL and safe
 * arithmetic can hold. (Output and event schemas keep the looser shapes above: a published version only
 * ever gains optional fields.)
 */

/** A NUL character (PostgreSQL text refuses 0x00) or a lone UTF-16 surrogate (not Unicode). */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (s: string) => !UNSTORABLE.test(s);
const STORABLE_MESSAGE = 'must be text without NUL characters or lone surrogates';

/** Free text up to `max` characters (descriptions, notes, messages): line breaks allowed. */
export const Text = (max: number) => z.string().max(max).refine(storable, STORABLE_MESSAGE);
/** One line up to `max` characters, trimmed (names, titles, references): no control characters. */
export const SingleLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine(storable, STORABLE_MESSAGE)
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must be one line without control characters');

/**
 * The largest amount in minor units a request may carry: 10^12 (ten billion in a 2-decimal currency).
 * Sums and products of such amounts over a cart (quantities, cycles, lines) stay far inside
 * Number.MAX_SAFE_INTEGER and bigint columns, where 2^53−1 itself would break the first quote it enters.
 */
export const MAX_AMOUNT = 1_000_000_000_000;
/** A non-negative amount in minor units as a request sends it (prices, fees, fixed discounts). */
export const MoneyAmount = z.number().int().min(0).max(MAX_AMOUNT);

/** Whether an ISO date-time or date is one PostgreSQL stores (no year 0000; years 0001–9999). */
const storableYear = (s: string) => !s.startsWith('0000');
/** An ISO 8601 date-time with an offset, within PostgreSQL's range. */
export const IsoDateTime = z.iso
  .datetime({ offset: true })
  .max(40) // nanoseconds and an offset fit; the format alone admits any number of fraction digits
  .refine(storableYear, 'must be a date-time between years 0001 and 9999');
/** An ISO 8601 calendar date (YYYY-MM-DD), within PostgreSQL's range. */
export const IsoDate = z.iso.date().refine(storableYear, 'must be a date between years 0001 and 9999');
