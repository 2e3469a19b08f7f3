import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createPurposeCipher } from '@geminis/service-kit';

/** SHA-256 hex: how opaque tokens and recovery codes are stored (they are high-entropy, so no salt). */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Opaque tokens carry their tenant in clear (`<tenantId>.<random>`) so they are looked up inside that
 * tenant's row-level security scope; the whole string is what gets hashed, so editing the tenant part
 * only produces a token that matches nothing.
 */
export function newTenantToken(tenantId: string): { token: string; hash: string } {
  const token = `${tenantId}.${randomToken()}`;
  return { token, hash: sha256(token) };
}

export function parseTenantToken(token: string): { tenantId: string; hash: string } | undefined {
  const dot = token.indexOf('.');
  if (dot !== 36 || token.length > 120) return undefined;
  const tenantId = token.slice(0, dot);
  if (!UUID.test(tenantId)) return undefined;
  return { tenantId: tenantId.toLowerCase(), hash: sha256(token) };
}

export type Purpose = 'signing-keys' | 'settings' | 'totp' | 'reset-tokens';

/** The kit's purpose cipher under identity's context (the format of data already stored is unchanged). */
export interface Cipher {
  encrypt(purpose: Purpose, plaintext: string): string;
  decrypt(purpose: Purpose, sealed: string): string;
}

export function createCipher(masterKey: string): Cipher {
  const cipher = createPurposeCipher<Purpose>(masterKey, 'geminis.identity');
  return {
    encrypt: (purpose, plaintext) => cipher.seal(purpose, plaintext),
    decrypt: (purpose, sealed) => cipher.open(purpose, sealed),
  };
}
