import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

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

/** AES-256-GCM with a key derived per purpose (HKDF) from the master key. Format: v1.<iv>.<tag>.<data>. */
export interface Cipher {
  encrypt(purpose: Purpose, plaintext: string): string;
  decrypt(purpose: Purpose, sealed: string): string;
}

export function createCipher(masterKey: string): Cipher {
  if (masterKey.length < 32) throw new Error('the encryption key must be at least 32 characters');
  const keys = new Map<Purpose, Buffer>();
  const keyFor = (purpose: Purpose): Buffer => {
    let key = keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', masterKey, 'geminis.identity', purpose, 32));
      keys.set(purpose, key);
    }
    return key;
  };
  return {
    encrypt(purpose, plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(purpose), iv);
      cipher.setAAD(Buffer.from(purpose));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return ['v1', iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(
        '.',
      );
    },
    decrypt(purpose, sealed) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised ciphertext');
      const decipher = createDecipheriv('aes-256-gcm', keyFor(purpose), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
