import { rows, type SingleTenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/**
 * Claims the right to notify this account of a sign-up attempt: true when no notice went out within the
 * last `windowSec` seconds (and records this one), false otherwise. One statement, so two concurrent
 * sign-ups with the same e-mail claim it once.
 */
export async function claimSignupNotice(
  tx: Tx,
  scope: SingleTenantScope,
  userId: string,
  windowSec: number,
): Promise<boolean> {
  const claimed = await rows<{ user_id: string }>(
    tx,
    sql`insert into signup_notices as n (tenant_id, user_id, last_notified_at)
        values (${scope.tenantId}, ${userId}, now())
        on conflict (tenant_id, user_id) do update set last_notified_at = now()
          where n.last_notified_at <= now() - make_interval(secs => ${windowSec})
        returning user_id`,
  );
  return claimed.length === 1;
}
