import { type CpanelCredentials } from '../domain/inputs';
import {
  PanelError,
  sizeToBytes,
  type AccountRef,
  type PanelAccount,
  type PanelAdapter,
  type PanelConnection,
} from './panel';
import { type PanelHttp } from './panel-http';
import { type PanelTimeouts } from './timeouts';

interface WhmEnvelope {
  metadata?: { result?: number; reason?: string; command?: string };
  data?: Record<string, unknown>;
}

interface WhmAcct {
  user: string;
  domain?: string;
  plan?: string;
  suspended?: number;
}

/**
 * cPanel & WHM, API 1 (`/json-api/<function>?api.version=1`, `Authorization: whm USER:TOKEN`). Always API 1:
 * without it WHM silently runs API 0, whose answers have another shape. Failures come back as HTTP 200
 * with `metadata.result: 0`; `whm()` below is the one place that reads an answer.
 */
export function cpanelAdapter(conn: PanelConnection, http: PanelHttp, timeouts: PanelTimeouts): PanelAdapter {
  const creds = conn.credentials as CpanelCredentials;
  const base = `${conn.tls ? 'https' : 'http'}://${conn.hostname}:${conn.port}/json-api/`;

  async function whm(
    fn: string,
    params: Record<string, string>,
    opts: { post?: boolean; timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const form = new URLSearchParams(params).toString();
    const res = await http.send(conn.serverId, {
      method: opts.post ? 'POST' : 'GET',
      url: `${base}${fn}?api.version=1${opts.post || !form ? '' : `&${form}`}`,
      headers: {
        authorization: `whm ${creds.username}:${creds.apiToken}`,
        accept: 'application/json',
        ...(opts.post ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(opts.post ? { body: form } : {}),
      timeoutMs: opts.timeoutMs ?? timeouts.defaultMs,
    });
    if (res.status === 401 || res.status === 403)
      throw new PanelError('auth', `WHM refused the API token (HTTP ${res.status})`);
    let body: WhmEnvelope;
    try {
      body = JSON.parse(res.text) as WhmEnvelope;
    } catch {
      throw new PanelError('unavailable', `WHM answered HTTP ${res.status} without JSON`);
    }
    if (res.status >= 400 || typeof body.metadata?.result !== 'number')
      throw new PanelError('unavailable', `WHM answered HTTP ${res.status} without an API 1 envelope`);
    if (body.metadata.result !== 1)
      throw new PanelError('rejected', `WHM ${fn}: ${body.metadata.reason ?? 'failed without a reason'}`);
    return body.data ?? {};
  }

  return {
    async testConnection() {
      await whm('listpkgs', { want: 'creatable' });
    },
    async lookup(ref: AccountRef): Promise<PanelAccount | null> {
      const data = await whm('listaccts', {
        search: ref.username,
        searchtype: 'user',
        searchmethod: 'exact',
        want: 'user,domain,plan,suspended',
      });
      const acct = ((data.acct ?? []) as WhmAcct[]).find((a) => a.user === ref.username);
      if (!acct) return null;
      return {
        username: acct.user,
        domain: acct.domain ?? null,
        suspended: acct.suspended === 1,
        package: acct.plan ?? null,
      };
    },
    async create(a) {
      await whm(
        'createacct',
        {
          username: a.username,
          domain: a.domain,
          plan: a.package,
          password: a.password,
          contactemail: a.email,
          reseller: a.reseller ? '1' : '0',
        },
        { post: true, timeoutMs: timeouts.createMs },
      );
    },
    async suspend(ref, reason) {
      await whm('suspendacct', { user: ref.username, reason: reason || 'Suspended by billing' });
    },
    async unsuspend(ref) {
      await whm('unsuspendacct', { user: ref.username });
    },
    async terminate(ref) {
      await whm('removeacct', { username: ref.username, keepdns: '0' }, { timeoutMs: timeouts.createMs });
    },
    async changePackage(ref, pkg) {
      await whm('changepackage', { user: ref.username, pkg });
    },
    async changePassword(ref, password) {
      await whm('passwd', { user: ref.username, password }, { post: true });
    },
    async usage(ref) {
      // accountsummary: diskused as WHM writes it ("14M"); showbw: this month's bytes per account.
      const summary = await whm('accountsummary', { user: ref.username });
      const acct = ((summary.acct ?? []) as { user?: string; diskused?: string }[])[0];
      if (!acct) throw new PanelError('not_found', `WHM has no account ${ref.username}`);
      const bw = await whm('showbw', { searchtype: 'user', search: ref.username });
      const row = ((bw.acct ?? []) as { user?: string; totalbytes?: number | string }[]).find(
        (a) => a.user === ref.username,
      );
      const total = row?.totalbytes === undefined ? null : Number(row.totalbytes);
      return {
        diskBytes: sizeToBytes(acct.diskused),
        bandwidthBytes: total !== null && Number.isFinite(total) ? total : null,
      };
    },
    async loginUrl(ref) {
      const data = await whm('create_user_session', { user: ref.username, service: 'cpaneld' });
      if (typeof data.url !== 'string' || !/^https?:\/\//.test(data.url))
        throw new PanelError('unavailable', 'WHM create_user_session answered without a URL');
      return data.url;
    },
  };
}
