import {
  BusinessRuleError,
  ConflictError,
  UnavailableError,
  UpstreamError,
  type AuthContext,
  type Database,
} from '@geminis/service-kit';
import { panelOfServer } from '../jobs/panel-of-account';
import { JobFailure, type JobDeps } from '../jobs/job-context';
import { isPanelError } from '../modules/panel';
import { type AccountsService } from './accounts.service';

/**
 * Single sign-on into an account's panel for its client (or its tenant's staff). The one panel call made
 * while a user waits, as it must be: short timeout, the server's breaker, and a panel failure answered as
 * 502/503 — never as a success, never with the panel's credentials.
 */
export function createLoginService(deps: JobDeps & { db: Database; accounts: AccountsService }) {
  return {
    async loginUrl(
      auth: AuthContext,
      id: string,
      tenantId?: string,
      userIp?: string,
    ): Promise<{ url: string }> {
      const account = await deps.accounts.get(auth, id, tenantId);
      if (account.status !== 'active')
        throw new ConflictError('provisioning.account_not_active', `the account is ${account.status}`);
      try {
        const { panel } = await panelOfServer(deps, account.serverId);
        if (!panel.loginUrl || !account.username)
          throw new BusinessRuleError(
            'provisioning.sso_unsupported',
            'this panel offers no single sign-on here',
          );
        return {
          url: await panel.loginUrl(
            { username: account.username, domain: account.domain },
            userIp ? { userIp } : {},
          ),
        };
      } catch (err) {
        if (err instanceof JobFailure)
          throw new BusinessRuleError('provisioning.sso_unavailable', err.message);
        if (!isPanelError(err)) throw err;
        if (err.kind === 'unavailable' || err.kind === 'timeout')
          throw new UnavailableError(
            'provisioning.panel_unavailable',
            'the panel is not answering; try again',
            {
              retryAfterSeconds: 30,
            },
          );
        throw new UpstreamError('provisioning.panel_refused', 'the panel refused to open a session');
      }
    },
  };
}

export type LoginService = ReturnType<typeof createLoginService>;
