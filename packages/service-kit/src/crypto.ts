import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Data encrypted at rest: AES-256-GCM with a key derived per purpose (HKDF-SHA256 of the master key, with
 * `context` as salt and the purpose as info) and the purpose as associated data, so a value sealed for one
 * purpose never opens as another. Format: `v1.<iv>.<tag>.<data>` (base64url parts).
 */
export interface PurposeCipher<P extends string> {
  seal(purpose: P, plaintext: string): string;
  open(purpose: P, sealed: string): string;
}

export function createPurposeCipher<P extends string>(masterKey: string, context: string): PurposeCipher<P> {
  if (masterKey.length < 32) throw new Error('the encryption key must be at least 32 characters');
  const keys = new Map<P, Buffer>();
  const keyFor = (purpose: P): Buffer => {
    let key = keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', masterKey, context, purpose, 32));
      keys.set(purpose, key);
    }
    return key;
  };
  return {
    seal(purpose, plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(purpose), iv);
      cipher.setAAD(Buffer.from(purpose));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return ['v1', iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(
        '.',
      );
    },
    open(purpose, sealed) {
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
