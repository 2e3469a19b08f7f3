import { createHmac, randomBytes } from 'node:crypto';

/**
 * How deliveries are signed (Stripe-style). Header `Geminis-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`
 * where each v1 is HMAC-SHA256(secret, `${t}.${raw body}`) in lower-case hex: one per live secret (two
 * for a day after a rotation). A receiver recomputes it over the raw bytes with its secret, compares in
 * constant time against any v1, and refuses a t too far from its clock (replays).
 */
export const SIGNATURE_HEADER = 'Geminis-Signature';

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

export const sign = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

export function signatureHeader(secrets: string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${sign(s, timestamp, body)}`)].join(',');
}
