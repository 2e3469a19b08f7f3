import { randomInt } from 'node:crypto';
import { createPurposeCipher, type PurposeCipher } from '@geminis/service-kit';

/** What a sealed value is for: a key per purpose, so a value of one kind never opens as another. */
export type Purpose = 'server-credentials' | 'account-passwords' | 'registrar-credentials' | 'epp-codes';

/** The kit's purpose cipher under provisioning's context. */
export type Cipher = PurposeCipher<Purpose>;

export const createCipher = (masterKey: string): Cipher =>
  createPurposeCipher<Purpose>(masterKey, 'geminis.provisioning');

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '!#%+-=_';

/**
 * A strong panel password (cPanel rates them by strength; every panel accepts this alphabet): 20
 * characters from a CSPRNG with at least one of each class, no quotes, `&`, `<` or spaces that a form or
 * an XML packet would have to escape.
 */
export function generatePassword(length = 20): string {
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
