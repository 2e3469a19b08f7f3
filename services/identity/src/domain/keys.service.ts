import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { newId, type AuthContext, type Database, type Role } from '@geminis/service-kit';
import jwt from 'jsonwebtoken';
import { activeKey, liveKeys, retireKey, rotateTo } from '../store/keys.store';
import { type Cipher } from './crypto';

export interface Jwk {
  kty: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
  n: string;
  e: string;
}

interface CachedKey {
  kid: string;
  publicKey: KeyObject;
  jwk: Jwk;
  retireAt: number | null;
}

const CACHE_MS = 30_000;
const MISS_COOLDOWN_MS = 5_000;

/**
 * Signing keys: RS256 key pairs in the database (private half encrypted), one signing key at a time, the
 * previous ones verifying until their retire time (overlap ≥ access-token lifetime + skew). Public keys
 * are cached briefly; an unknown kid reloads at most once per cooldown so random kids cannot hammer the DB.
 */
export function createKeysService(deps: {
  db: Database;
  cipher: Cipher;
  issuer: string;
  audience: string;
  accessTokenTtlSec: number;
}) {
  const { db, cipher } = deps;
  let cache: CachedKey[] = [];
  let loadedAt = -Infinity;
  let signer: { kid: string; privateKey: KeyObject; loadedAt: number } | undefined;

  async function reload(): Promise<void> {
    const keys = await db.transaction((tx) => liveKeys(tx));
    cache = keys.map((k) => ({
      kid: k.kid,
      publicKey: createPublicKey({
        key: k.public_jwk as unknown as JsonWebKey,
        format: 'jwk',
      }),
      jwk: k.public_jwk as unknown as Jwk,
      retireAt: k.retire_at ? new Date(k.retire_at).getTime() : null,
    }));
    loadedAt = Date.now();
  }

  const live = (k: CachedKey) => k.retireAt === null || k.retireAt > Date.now();

  function generate() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `k-${newId()}`;
    const { n, e, kty } = publicKey.export({ format: 'jwk' });
    const publicJwk: Jwk = { kty: kty!, kid, use: 'sig', alg: 'RS256', n: n!, e: e! };
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return { kid, publicJwk, privateKeyEnc: cipher.encrypt('signing-keys', pem) };
  }

  /** Creates a new signing key; the previous one keeps verifying for `overlapSec`. */
  async function rotate(overlapSec = deps.accessTokenTtlSec + 60): Promise<{ kid: string }> {
    const key = generate();
    await db.transaction((tx) => rotateTo(tx, { ...key, publicJwk: { ...key.publicJwk } }, overlapSec));
    signer = undefined;
    await reload();
    return { kid: key.kid };
  }

  async function ensureSigningKey(): Promise<void> {
    const existing = await db.transaction((tx) => activeKey(tx));
    if (!existing) {
      try {
        await rotate(0);
      } catch (err) {
        // Another replica created it at the same time (unique index on the one active key).
        if (!(await db.transaction((tx) => activeKey(tx)))) throw err;
      }
    }
  }

  /**
   * The active signing key, read again at most every CACHE_MS (a rotation by another replica is seen within
   * that). Its own clock: it used to share the JWKS cache's, so without JWKS traffic every sign-in after
   * the first 30 s read, decrypted and parsed the private key again.
   */
  async function currentSigner(): Promise<{ kid: string; privateKey: KeyObject }> {
    if (signer && Date.now() - signer.loadedAt < CACHE_MS) return signer;
    const row = await db.transaction((tx) => activeKey(tx));
    if (!row) throw new Error('no signing key: ensureSigningKey() was not called');
    signer =
      signer?.kid === row.kid
        ? { ...signer, loadedAt: Date.now() }
        : {
            kid: row.kid,
            privateKey: createPrivateKey(cipher.decrypt('signing-keys', row.private_key_enc)),
            loadedAt: Date.now(),
          };
    return signer;
  }

  return {
    ensureSigningKey,
    rotate,
    async retire(kid: string): Promise<boolean> {
      const done = await db.transaction((tx) => retireKey(tx, kid));
      await reload();
      return done;
    },

    async jwks(): Promise<{ keys: Jwk[] }> {
      if (Date.now() - loadedAt > CACHE_MS) await reload();
      return { keys: cache.filter(live).map((k) => k.jwk) };
    },

    /** The verifier's key resolver: only live keys of this issuer. */
    async resolve(kid: string): Promise<KeyObject | undefined> {
      const age = Date.now() - loadedAt;
      if (age > CACHE_MS || (!cache.some((k) => k.kid === kid) && age > MISS_COOLDOWN_MS)) await reload();
      const key = cache.find((k) => k.kid === kid);
      return key && live(key) ? key.publicKey : undefined;
    },

    /** `sessionId`: the refresh-token family, as the `sid` claim (revoking the session revokes the token). */
    async signAccessToken(
      user: { id: string; role: Role; tenantId: string },
      sessionId?: string,
    ): Promise<{
      accessToken: string;
      expiresIn: number;
      claims: AuthContext;
    }> {
      const { kid, privateKey } = await currentSigner();
      const jti = newId();
      const iat = Math.floor(Date.now() / 1000);
      const claims = { role: user.role, tid: user.tenantId, iat, ...(sessionId ? { sid: sessionId } : {}) };
      const accessToken = jwt.sign(claims, privateKey, {
        algorithm: 'RS256',
        keyid: kid,
        header: { alg: 'RS256', typ: 'at+jwt', kid },
        subject: user.id,
        issuer: deps.issuer,
        audience: deps.audience,
        expiresIn: deps.accessTokenTtlSec,
        jwtid: jti,
      });
      return {
        accessToken,
        expiresIn: deps.accessTokenTtlSec,
        claims: {
          userId: user.id,
          role: user.role,
          tenantId: user.tenantId,
          tokenId: jti,
          issuedAt: iat,
          ...(sessionId ? { sessionId } : {}),
        },
      };
    },
  };
}

export type KeysService = ReturnType<typeof createKeysService>;
