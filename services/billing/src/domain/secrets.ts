import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Tenant credentials at rest: AES-256-GCM under a key derived from the service's master key, with the
 * tenant id as associated data, so a ciphertext copied to another tenant's row does not decrypt.
 * Format: base64url(iv ‖ tag ‖ ciphertext).
 */
export function createSealer(masterKey: string) {
  if (masterKey.length < 32) throw new Error('the encryption key must have at least 32 characters');
  const key = createHash('sha256').update(`geminis.billing.secrets:${masterKey}`).digest();
  return {
    seal(tenantId: string, plaintext: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(tenantId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(tenantId: string, sealed: string): string {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(tenantId));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

export type Sealer = ReturnType<typeof createSealer>;
