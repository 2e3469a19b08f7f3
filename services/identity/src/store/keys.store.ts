import { rows, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/** Signing keys are platform data, not tenant data: this table has no tenant and no RLS. */
export interface SigningKeyRow {
  kid: string;
  public_jwk: Record<string, unknown>;
  private_key_enc: string;
  created_at: Date;
  retire_at: Date | null;
}

/** Keys that still verify: the signing key and those inside their overlap period. */
export async function liveKeys(tx: Tx): Promise<SigningKeyRow[]> {
  return rows<SigningKeyRow>(
    tx,
    sql`select kid, public_jwk, private_key_enc, created_at, retire_at from signing_keys
        where retire_at is null or retire_at > now() order by created_at desc`,
  );
}

export async function activeKey(tx: Tx): Promise<SigningKeyRow | undefined> {
  const [row] = await rows<SigningKeyRow>(
    tx,
    sql`select kid, public_jwk, private_key_enc, created_at, retire_at from signing_keys
        where retire_at is null`,
  );
  return row;
}

/** Puts the current signing key into its overlap period and makes the new key the signing key. */
export async function rotateTo(
  tx: Tx,
  key: { kid: string; publicJwk: Record<string, unknown>; privateKeyEnc: string },
  overlapSec: number,
): Promise<void> {
  await tx.execute(sql`lock table signing_keys in exclusive mode`);
  await tx.execute(
    sql`update signing_keys set retire_at = now() + make_interval(secs => ${overlapSec})
        where retire_at is null`,
  );
  await tx.execute(
    sql`insert into signing_keys (kid, public_jwk, private_key_enc, activated_at)
        values (${key.kid}, ${JSON.stringify(key.publicJwk)}::jsonb, ${key.privateKeyEnc}, now())`,
  );
}

/** Retires a key now (it no longer verifies anything); the signing key cannot be retired this way. */
export async function retireKey(tx: Tx, kid: string): Promise<boolean> {
  const done = await rows<{ kid: string }>(
    tx,
    sql`update signing_keys set retire_at = now() where kid = ${kid} and retire_at is not null returning kid`,
  );
  return done.length === 1;
}
