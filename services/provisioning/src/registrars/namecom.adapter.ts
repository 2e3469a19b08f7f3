import { type PanelHttp } from '../modules/panel-http';
import {
  isoDate,
  registrarError,
  type Availability,
  type DnsRecord,
  type NamecomCredentials,
  type NewRegistration,
  type RegistrarAdapter,
  type RegistrarConnection,
  type RegistrarDomain,
  type TransferState,
} from './registrar';

interface NamecomDomain {
  domainName?: string;
  nameservers?: string[];
  privacyEnabled?: boolean;
  locked?: boolean;
  expireDate?: string;
}

/**
 * Name.com API v4 (`<endpoint>/v4/…`, HTTP Basic with the username and API token, JSON both ways). Failures
 * are HTTP statuses with `{message, details}`: 401/403 the credentials, 404 no such domain in the account,
 * 4xx a refusal, 5xx an outage. `call()` is the one place an answer is read.
 */
export function namecomAdapter(
  conn: RegistrarConnection,
  http: PanelHttp,
  timeoutMs: number,
): RegistrarAdapter {
  const creds = conn.credentials as NamecomCredentials;
  const base = `${conn.endpoint.replace(/\/+$/, '')}/v4`;
  const authorization = `Basic ${Buffer.from(`${creds.username}:${creds.token}`).toString('base64')}`;

  async function call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const res = await http.send(conn.accountId, {
      method,
      url: `${base}${path}`,
      headers: {
        authorization,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs,
    });
    let parsed: { message?: string; details?: string } & Record<string, unknown> = {};
    try {
      parsed = res.text ? (JSON.parse(res.text) as typeof parsed) : {};
    } catch {
      if (res.status < 400)
        throw registrarError('unavailable', `Name.com answered HTTP ${res.status} without JSON`);
    }
    if (res.status < 400) return parsed as T;
    const reason = [parsed.message, parsed.details].filter(Boolean).join(': ') || `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403)
      throw registrarError('auth', `Name.com refused the credentials: ${reason}`);
    if (res.status === 404) throw registrarError('not_found', `Name.com: ${reason}`);
    if (res.status === 429) throw registrarError('unavailable', `Name.com rate limit: ${reason}`);
    throw registrarError('rejected', `Name.com: ${reason}`);
  }

  const path = (domain: string, action = '') => `/domains/${encodeURIComponent(domain)}${action}`;
  const contact = (r: Pick<NewRegistration, 'registrant'>) => {
    const c = r.registrant;
    const one = {
      firstName: c.firstName,
      lastName: c.lastName,
      ...(c.organization ? { companyName: c.organization } : {}),
      address1: c.address1,
      ...(c.address2 ? { address2: c.address2 } : {}),
      city: c.city,
      ...(c.state ? { state: c.state } : {}),
      zip: c.postcode,
      country: c.country,
      phone: c.phone,
      email: c.email,
    };
    return { registrant: one, admin: one, tech: one, billing: one };
  };

  return {
    kind: 'namecom',
    maxBatch: 50,
    async testConnection() {
      await call('GET', '/hello');
    },
    async check(domains): Promise<Availability[]> {
      const body = await call<{
        results?: { domainName: string; purchasable?: boolean; premium?: boolean }[];
      }>('POST', '/domains:checkAvailability', { domainNames: domains });
      const rows = new Map((body.results ?? []).map((r) => [r.domainName.toLowerCase(), r]));
      return domains.map((domain) => {
        const r = rows.get(domain);
        return r
          ? { domain, available: r.purchasable === true, premium: r.premium === true }
          : { domain, available: null, premium: false, reason: 'not answered' };
      });
    },
    async info(domain): Promise<RegistrarDomain | null> {
      let d: NamecomDomain;
      try {
        d = await call<NamecomDomain>('GET', path(domain));
      } catch (err) {
        if ((err as { kind?: string }).kind === 'not_found') return null;
        throw err;
      }
      const expiresAt = isoDate(d.expireDate);
      return {
        domain,
        ref: null,
        status: expiresAt && expiresAt < new Date().toISOString() ? 'expired' : 'active',
        expiresAt,
        nameservers: (d.nameservers ?? []).map((n) => n.toLowerCase()),
        locked: d.locked ?? null,
        privacy: d.privacyEnabled ?? null,
      };
    },
    async register(r) {
      await call('POST', '/domains', {
        domain: {
          domainName: r.domain,
          nameservers: r.nameservers,
          contacts: contact(r),
          privacyEnabled: r.privacy,
        },
        years: r.years,
      });
      return { ref: null };
    },
    async transfer(r) {
      await call('POST', '/transfers', {
        domainName: r.domain,
        authCode: r.eppCode,
        privacyEnabled: r.privacy,
      });
      return { transferRef: null };
    },
    async transferStatus(domain): Promise<TransferState> {
      const t = await call<{ status?: string }>('GET', `/transfers/${encodeURIComponent(domain)}`);
      return namecomTransferState(t.status);
    },
    async renew(domain, _ref, years) {
      await call('POST', path(domain, ':renew'), { years });
    },
    async setNameservers(domain, _ref, nameservers) {
      await call('POST', path(domain, ':setNameservers'), { nameservers });
    },
    async setLock(domain, _ref, locked) {
      await call('POST', path(domain, locked ? ':lock' : ':unlock'), {});
    },
    async setPrivacy(domain, _ref, enabled) {
      await call('POST', path(domain, enabled ? ':enableWhoisPrivacy' : ':disableWhoisPrivacy'), {});
    },
    async setContacts(domain, _ref, registrant) {
      await call('POST', path(domain, ':setContacts'), { contacts: contact({ registrant }) });
    },
    async setChildHost(_domain, _ref, hostname, ips) {
      // Name.com's "vanity nameservers": created once, then updated in place.
      const url = `/domains/${encodeURIComponent(_domain)}/vanity_nameservers`;
      try {
        await call('PUT', `${url}/${encodeURIComponent(hostname)}`, { hostname, ips });
      } catch (err) {
        if ((err as { kind?: string }).kind !== 'not_found') throw err;
        await call('POST', url, { hostname, ips });
      }
    },
    async dnsRecords(domain) {
      const body = await call<{ records?: NamecomRecord[] }>('GET', path(domain, '/records'));
      return (body.records ?? []).map(fromNamecom);
    },
    async setDnsRecords(domain, _ref, records) {
      // Name.com edits records one by one: delete what should not be there, add what is missing.
      const body = await call<{ records?: NamecomRecord[] }>('GET', path(domain, '/records'));
      const key = (r: DnsRecord) => `${r.type}|${r.host}|${r.answer}|${r.ttl}|${r.priority ?? ''}`;
      const wanted = new Set(records.map(key));
      const present = new Set<string>();
      for (const r of body.records ?? []) {
        const k = key(fromNamecom(r));
        if (wanted.has(k) && !present.has(k)) present.add(k);
        else await call('DELETE', path(domain, `/records/${r.id}`));
      }
      for (const r of records)
        if (!present.has(key(r))) {
          present.add(key(r));
          await call('POST', path(domain, '/records'), {
            host: r.host === '@' ? '' : r.host,
            type: r.type,
            answer: r.answer,
            ttl: r.ttl,
            ...(r.priority !== null ? { priority: r.priority } : {}),
          });
        }
    },
    async eppCode(domain) {
      const body = await call<{ authCode?: string }>('GET', path(domain, ':getAuthCode'));
      if (!body.authCode) throw registrarError('rejected', 'Name.com gave no EPP code for this domain');
      return body.authCode;
    },
  };
}

interface NamecomRecord {
  id: number;
  host?: string;
  type: DnsRecord['type'];
  answer: string;
  ttl?: number;
  priority?: number;
}

const fromNamecom = (r: NamecomRecord): DnsRecord => ({
  type: r.type,
  host: r.host ? r.host : '@',
  answer: r.answer,
  ttl: r.ttl ?? 300,
  priority: r.priority ?? null,
});

/** Name.com's transfer statuses (also in its `domain.transfer.status_change` webhook). */
export function namecomTransferState(status: string | undefined): TransferState {
  const s = (status ?? '').toLowerCase();
  if (s === 'completed') return 'completed';
  if (s === 'canceled' || s === 'cancelled') return 'cancelled';
  if (s === 'failed' || s === 'rejected' || s === 'expired') return 'failed';
  return 'pending';
}
