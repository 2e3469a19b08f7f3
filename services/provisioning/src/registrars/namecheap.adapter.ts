import { type PanelHttp } from '../modules/panel-http';
import {
  isoDate,
  registrarError,
  splitDomain,
  type Availability,
  type DnsRecord,
  type NamecheapCredentials,
  type NewRegistration,
  type RegistrarAdapter,
  type RegistrarConnection,
  type RegistrarDomain,
  type TransferState,
} from './registrar';

const unesc = (v: string) =>
  v
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

interface Element {
  attrs: Record<string, string>;
  inner: string;
}

/** Every `<name …>` element of `xml` (self-closing or not), its attributes and inner XML. */
export function elementsOf(xml: string, name: string): Element[] {
  const re = new RegExp(`<${name}(\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</${name}>)`, 'g');
  const out: Element[] = [];
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] ?? '').matchAll(/([A-Za-z_:][\w:.-]*)="([^"]*)"/g)) attrs[a[1]!] = unesc(a[2]!);
    out.push({ attrs, inner: m[2] ?? '' });
  }
  return out;
}
const first = (xml: string, name: string) => elementsOf(xml, name)[0];
const textOf = (xml: string, name: string) => {
  const e = first(xml, name);
  return e ? unesc(e.inner.trim()) : undefined;
};
const yes = (v: string | undefined) => v !== undefined && /^(true|yes|1)$/i.test(v);

const AUTH_CODES = new Set(['1010101', '1010102', '1011102', '1011150', '1017105', '1019103', '1017150']);
const NOT_FOUND_CODES = new Set(['2019166', '2016166']);

interface NcAnswer {
  response: string;
  errors: { number: string; message: string }[];
}

/**
 * Namecheap (`<endpoint>/xml.response`, global ApiUser/ApiKey/UserName/ClientIp on every call). Errors come
 * with HTTP 200 as `<ApiResponse Status="ERROR"><Errors><Error Number=…>`, sometimes next to valid results
 * (a partial error: `domains.check` answers the names it could and errors for the others). `nc()` is the one
 * place an answer is read; `partial` callers get the errors back instead of an exception.
 */
export function namecheapAdapter(
  conn: RegistrarConnection,
  http: PanelHttp,
  timeoutMs: number,
): RegistrarAdapter {
  const creds = conn.credentials as NamecheapCredentials;
  const url = `${conn.endpoint.replace(/\/+$/, '')}/xml.response`;

  async function nc(command: string, params: Record<string, string>, opts: { partial?: boolean } = {}) {
    const form = new URLSearchParams({
      ApiUser: creds.apiUser,
      ApiKey: creds.apiKey,
      UserName: creds.userName,
      ClientIp: creds.clientIp,
      Command: command,
      ...params,
    }).toString();
    const res = await http.send(conn.accountId, {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' },
      body: form,
      timeoutMs,
    });
    const envelope = first(res.text, 'ApiResponse');
    if (!envelope)
      throw registrarError('unavailable', `Namecheap answered HTTP ${res.status} without an ApiResponse`);
    const errors = elementsOf(first(envelope.inner, 'Errors')?.inner ?? '', 'Error').map((e) => ({
      number: e.attrs.Number ?? '',
      message: unesc(e.inner.trim()),
    }));
    const answer: NcAnswer = { response: first(envelope.inner, 'CommandResponse')?.inner ?? '', errors };
    if (envelope.attrs.Status === 'OK' && res.status < 400) return answer;
    const auth = errors.find((e) => AUTH_CODES.has(e.number));
    if (auth) throw registrarError('auth', `Namecheap ${auth.number}: ${auth.message}`);
    if (opts.partial && answer.response) return answer;
    const e = errors[0];
    const message = e
      ? `Namecheap ${e.number}: ${e.message}`
      : `Namecheap ${command} failed (HTTP ${res.status})`;
    throw registrarError(e && NOT_FOUND_CODES.has(e.number) ? 'not_found' : 'rejected', message);
  }

  const contacts = (r: Pick<NewRegistration, 'registrant'>): Record<string, string> => {
    const c = r.registrant;
    const out: Record<string, string> = {};
    for (const p of ['Registrant', 'Tech', 'Admin', 'AuxBilling']) {
      Object.assign(out, {
        [`${p}FirstName`]: c.firstName,
        [`${p}LastName`]: c.lastName,
        [`${p}Address1`]: c.address1,
        [`${p}City`]: c.city,
        [`${p}StateProvince`]: c.state ?? 'NA',
        [`${p}PostalCode`]: c.postcode,
        [`${p}Country`]: c.country,
        [`${p}Phone`]: c.phone,
        [`${p}EmailAddress`]: c.email,
        ...(c.organization ? { [`${p}OrganizationName`]: c.organization } : {}),
        ...(c.address2 ? { [`${p}Address2`]: c.address2 } : {}),
      });
    }
    return out;
  };

  async function getInfo(domain: string): Promise<string | null> {
    try {
      return (await nc('namecheap.domains.getInfo', { DomainName: domain })).response;
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return null;
      throw err;
    }
  }

  return {
    kind: 'namecheap',
    maxBatch: 50,
    async testConnection() {
      await nc('namecheap.users.getBalances', {});
    },
    async check(domains): Promise<Availability[]> {
      const answer = await nc(
        'namecheap.domains.check',
        { DomainList: domains.join(',') },
        { partial: true },
      );
      const rows = new Map(
        elementsOf(answer.response, 'DomainCheckResult').map((r) => [r.attrs.Domain?.toLowerCase(), r.attrs]),
      );
      const reason = answer.errors.map((e) => `${e.number}: ${e.message}`).join('; ');
      return domains.map((domain) => {
        const r = rows.get(domain);
        if (!r) return { domain, available: null, premium: false, reason: reason || 'not answered' };
        return {
          domain,
          available: r.ErrorNo && r.ErrorNo !== '0' ? null : yes(r.Available),
          premium: yes(r.IsPremiumName),
          ...(r.ErrorNo && r.ErrorNo !== '0' ? { reason: r.Description ?? `error ${r.ErrorNo}` } : {}),
        };
      });
    },
    async info(domain): Promise<RegistrarDomain | null> {
      const xml = await getInfo(domain);
      if (xml === null) return null;
      const result = first(xml, 'DomainGetInfoResult');
      if (!result) throw registrarError('unavailable', 'Namecheap getInfo answered without a result');
      const status = (result.attrs.Status ?? '').toLowerCase();
      const guard = first(result.inner, 'Whoisguard');
      const dns = first(result.inner, 'DnsDetails');
      let locked: boolean | null = null;
      try {
        const lock = await nc('namecheap.domains.getRegistrarLock', { DomainName: domain });
        locked = yes(first(lock.response, 'DomainGetRegistrarLockResult')?.attrs.RegistrarLockStatus);
      } catch (err) {
        if ((err as { kind?: string }).kind === 'auth') throw err;
      }
      return {
        domain,
        ref: result.attrs.ID ?? null,
        status:
          status === 'ok' || status === 'active' ? 'active' : status === 'expired' ? 'expired' : 'other',
        expiresAt: isoDate(textOf(result.inner, 'ExpiredDate')),
        nameservers: dns
          ? elementsOf(dns.inner, 'Nameserver').map((n) => unesc(n.inner.trim()).toLowerCase())
          : [],
        locked,
        privacy: guard ? yes(guard.attrs.Enabled) : null,
      };
    },
    async register(r) {
      const answer = await nc('namecheap.domains.create', {
        DomainName: r.domain,
        Years: String(r.years),
        ...(r.nameservers.length ? { Nameservers: r.nameservers.join(',') } : {}),
        AddFreeWhoisguard: r.privacy ? 'yes' : 'no',
        WGEnabled: r.privacy ? 'yes' : 'no',
        ...contacts(r),
      });
      const result = first(answer.response, 'DomainCreateResult');
      // Missing outcome fields fail the attempt rather than assume: assuming invites a second order.
      if (!result || !yes(result.attrs.Registered))
        throw registrarError('rejected', 'Namecheap did not confirm the registration');
      return { ref: result.attrs.DomainID ?? null };
    },
    async transfer(r) {
      const answer = await nc('namecheap.domains.transfer.create', {
        DomainName: r.domain,
        Years: '1',
        EPPCode: /^[\w.-]+$/.test(r.eppCode)
          ? r.eppCode
          : `base64:${Buffer.from(r.eppCode).toString('base64')}`,
        AddFreeWhoisguard: r.privacy ? 'yes' : 'no',
        WGenable: r.privacy ? 'yes' : 'no',
      });
      const result = first(answer.response, 'DomainTransferCreateResult');
      if (!result || !yes(result.attrs.Transfer))
        throw registrarError('rejected', 'Namecheap did not confirm the transfer order');
      return { transferRef: result.attrs.TransferID ?? null };
    },
    async transferStatus(domain, transferRef): Promise<TransferState> {
      let status: string;
      if (transferRef) {
        const answer = await nc('namecheap.domains.transfer.getStatus', { TransferID: transferRef });
        status = (first(answer.response, 'DomainTransferGetStatusResult')?.attrs.Status ?? '').toLowerCase();
      } else {
        // No id (the order's answer never came): the account's transfers of this name, newest first.
        const answer = await nc('namecheap.domains.transfer.getList', {
          SearchTerm: domain,
          ListType: 'ALL',
          SortBy: 'TRANSFERDATE_DESC',
        });
        const row = elementsOf(answer.response, 'Transfer').find(
          (t) => t.attrs.DomainName?.toLowerCase() === domain,
        );
        if (!row) throw registrarError('not_found', `Namecheap has no transfer of ${domain}`);
        status = (row.attrs.Status ?? '').toLowerCase();
      }
      if (/complete|transferred|success/.test(status)) return 'completed';
      if (/cancel/.test(status)) return 'cancelled';
      if (/fail|reject|denied|invalid|timed out/.test(status)) return 'failed';
      return 'pending';
    },
    async renew(domain, _ref, years) {
      await nc('namecheap.domains.renew', { DomainName: domain, Years: String(years) });
    },
    async setNameservers(domain, _ref, nameservers) {
      const { sld, tld } = splitDomain(domain);
      if (nameservers.length === 0) await nc('namecheap.domains.dns.setDefault', { SLD: sld, TLD: tld });
      else
        await nc('namecheap.domains.dns.setCustom', {
          SLD: sld,
          TLD: tld,
          Nameservers: nameservers.join(','),
        });
    },
    async setLock(domain, _ref, locked) {
      await nc('namecheap.domains.setRegistrarLock', {
        DomainName: domain,
        LockAction: locked ? 'LOCK' : 'UNLOCK',
      });
    },
    async setPrivacy(domain, _ref, enabled) {
      const xml = await getInfo(domain);
      const id = xml ? textOf(first(xml, 'Whoisguard')?.inner ?? '', 'ID') : undefined;
      if (!id || id === '0') throw registrarError('rejected', 'Namecheap has no WhoisGuard for this domain');
      if (enabled) {
        const email = textOf(xml!, 'EmailAddress') ?? '';
        await nc('namecheap.whoisguard.enable', {
          WhoisguardID: id,
          ...(email ? { ForwardedToEmail: email } : {}),
        });
      } else await nc('namecheap.whoisguard.disable', { WhoisguardID: id });
    },
    async setContacts(domain, _ref, registrant) {
      await nc('namecheap.domains.setContacts', { DomainName: domain, ...contacts({ registrant }) });
    },
    async setChildHost(domain, _ref, hostname, ips) {
      const { sld, tld } = splitDomain(domain);
      const ip = ips[0];
      if (!ip) throw registrarError('rejected', 'a private nameserver needs an IP address');
      try {
        await nc('namecheap.domains.ns.create', { SLD: sld, TLD: tld, Nameserver: hostname, IP: ip });
      } catch (err) {
        // Already there (error 2030166 "Nameserver already exists"): update its address instead.
        if (!/already|exists/i.test((err as Error).message)) throw err;
        const info = await nc('namecheap.domains.ns.getInfo', { SLD: sld, TLD: tld, Nameserver: hostname });
        const old = first(info.response, 'DomainNSInfoResult')?.attrs.IP ?? '';
        await nc('namecheap.domains.ns.update', {
          SLD: sld,
          TLD: tld,
          Nameserver: hostname,
          OldIP: old,
          IP: ip,
        });
      }
    },
    async dnsRecords(domain) {
      const { sld, tld } = splitDomain(domain);
      const answer = await nc('namecheap.domains.dns.getHosts', { SLD: sld, TLD: tld });
      return elementsOf(answer.response, 'host')
        .filter((h) => ['A', 'AAAA', 'CNAME', 'MX', 'TXT'].includes(h.attrs.Type ?? ''))
        .map((h) => ({
          type: h.attrs.Type as DnsRecord['type'],
          host: h.attrs.Name ?? '@',
          answer: h.attrs.Address ?? '',
          ttl: Number(h.attrs.TTL ?? 1800),
          priority: h.attrs.Type === 'MX' ? Number(h.attrs.MXPref ?? 10) : null,
        }));
    },
    async setDnsRecords(domain, _ref, records) {
      // setHosts replaces the whole set: every record goes in one call, numbered.
      const { sld, tld } = splitDomain(domain);
      const params: Record<string, string> = { SLD: sld, TLD: tld };
      records.forEach((r, i) => {
        const n = i + 1;
        params[`HostName${n}`] = r.host;
        params[`RecordType${n}`] = r.type;
        params[`Address${n}`] = r.answer;
        params[`TTL${n}`] = String(r.ttl);
        if (r.priority !== null) params[`MXPref${n}`] = String(r.priority);
      });
      if (records.some((r) => r.type === 'MX')) params.EmailType = 'MX';
      await nc('namecheap.domains.dns.setHosts', params);
    },
    eppCode() {
      return Promise.reject(
        registrarError('rejected', "Namecheap's API does not give EPP codes: ask Namecheap's panel for it"),
      );
    },
  };
}
