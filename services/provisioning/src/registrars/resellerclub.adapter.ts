import { randomBytes } from 'node:crypto';
import { PanelError } from '../modules/panel';
import { type PanelHttp } from '../modules/panel-http';
import {
  isoDate,
  scalar,
  registrarError,
  splitDomain,
  type Availability,
  type NewRegistration,
  type RegistrarAdapter,
  type RegistrarConnection,
  type RegistrarDomain,
  type ResellerClubCredentials,
  type TransferState,
} from './registrar';

type Params = [string, string][];
type Lb = Record<string, unknown>;

const AUTH_FAILURE = /auth|api-key|api key|ip address|not allowed to access|password/i;
const NOT_FOUND = /no entity found|doesn't exist|does not exist|not found|invalid order/i;

/** `+44.2071234567` → [`44`, `2071234567`] (LogicBoxes wants the country code apart). */
const phoneParts = (phone: string) => {
  const [cc, num] = phone.replace(/^\+/, '').split('.');
  return { cc: cc!, num: num! };
};

/**
 * ResellerClub / LogicBoxes HTTP API (`<endpoint>/api/<category>/<method>.json`, `auth-userid` +
 * `api-key` on every call, arrays as repeated keys). Answers are JSON objects, or bare scalars (an order
 * id, `true`); failures are `{status: "ERROR", message}`, `{status: "error", error}` or an action hash with
 * `actionstatus: "Failed"`, whatever the HTTP status — `lb()` below is the one place that reads an answer.
 */
export function resellerClubAdapter(
  conn: RegistrarConnection,
  http: PanelHttp,
  timeoutMs: number,
): RegistrarAdapter {
  const creds = conn.credentials as ResellerClubCredentials;
  const base = conn.endpoint.replace(/\/+$/, '');

  function failure(body: unknown): PanelError | null {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
    const b = body as Lb;
    const status = typeof b.status === 'string' ? b.status.toLowerCase() : '';
    const failed = status === 'error' || status === 'failed' || b.actionstatus === 'Failed';
    if (!failed) return null;
    const raw = b.message ?? b.error ?? b.actionstatusdesc ?? 'the request failed without a reason';
    const message = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const kind = AUTH_FAILURE.test(message) ? 'auth' : NOT_FOUND.test(message) ? 'not_found' : 'rejected';
    return registrarError(kind, `LogicBoxes: ${message}`);
  }

  async function lb(method: 'GET' | 'POST', path: string, params: Params): Promise<unknown> {
    const form = new URLSearchParams([
      ['auth-userid', creds.resellerId],
      ['api-key', creds.apiKey],
      ...params,
    ]);
    let res;
    try {
      res = await http.send(conn.accountId, {
        method,
        url: method === 'GET' ? `${base}/api/${path}?${form.toString()}` : `${base}/api/${path}`,
        headers: {
          accept: 'application/json',
          ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(method === 'POST' ? { body: form.toString() } : {}),
        timeoutMs,
        keepErrorBody: true,
      });
    } catch (err) {
      // A 5xx that carries LogicBoxes' own error envelope is a refusal, not an outage.
      if (err instanceof PanelError && err.response) {
        const parsed = failure(safeJson(err.response.text));
        if (parsed) throw parsed;
      }
      throw err;
    }
    if (res.status === 401 || res.status === 403)
      throw registrarError('auth', `LogicBoxes refused the credentials (HTTP ${res.status})`);
    const body = safeJson(res.text);
    if (body === undefined)
      throw registrarError(
        'unavailable',
        `LogicBoxes answered HTTP ${res.status} with neither JSON nor a scalar`,
      );
    const failed = failure(body);
    if (failed) throw failed;
    if (res.status >= 400) throw registrarError('rejected', `LogicBoxes answered HTTP ${res.status}`);
    return body;
  }

  const objectOf = (body: unknown, what: string): Lb => {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw registrarError(
        'unavailable',
        `LogicBoxes ${what}: expected an object, got ${JSON.stringify(body)}`,
      );
    return body as Lb;
  };
  const idOf = (body: unknown, what: string): string => {
    if (typeof body === 'number' || (typeof body === 'string' && /^\d+$/.test(body))) return String(body);
    const b = body as Lb | null;
    const id = b && typeof b === 'object' ? (b.entityid ?? b.customerid ?? b.id) : undefined;
    if (id === undefined || id === null)
      throw registrarError('unavailable', `LogicBoxes ${what}: no id in the answer`);
    return scalar(id);
  };

  async function orderIdOf(domain: string, ref?: string | null): Promise<string> {
    if (ref) return ref;
    return idOf(await lb('GET', 'domains/orderid.json', [['domain-name', domain]]), 'orderid');
  }

  async function details(domain: string, ref?: string | null): Promise<Lb | null> {
    try {
      const body = ref
        ? await lb('GET', 'domains/details.json', [
            ['order-id', ref],
            ['options', 'All'],
          ])
        : await lb('GET', 'domains/details-by-name.json', [
            ['domain-name', domain],
            ['options', 'All'],
          ]);
      return objectOf(body, 'details');
    } catch (err) {
      if (err instanceof PanelError && err.kind === 'not_found') return null;
      throw err;
    }
  }

  /** The customer the registrant's domains go under (found by e-mail, else signed up), and a contact. */
  async function contactFor(
    r: Pick<NewRegistration, 'registrant' | 'domain'>,
  ): Promise<{ customerId: string; contactId: string }> {
    const c = r.registrant;
    const phone = phoneParts(c.phone);
    const name = `${c.firstName} ${c.lastName}`;
    const address: Params = [
      ['address-line-1', c.address1],
      ...(c.address2 ? ([['address-line-2', c.address2]] as Params) : []),
      ['city', c.city],
      ['state', c.state ?? 'NA'],
      ['country', c.country],
      ['zipcode', c.postcode],
      ['phone-cc', phone.cc],
      ['phone', phone.num],
    ];
    let customerId: string;
    try {
      customerId = idOf(await lb('GET', 'customers/details.json', [['username', c.email]]), 'customer');
    } catch (err) {
      if (!(err instanceof PanelError && (err.kind === 'not_found' || err.kind === 'rejected'))) throw err;
      customerId = idOf(
        await lb('POST', 'customers/signup.json', [
          ['username', c.email],
          ['passwd', `${randomBytes(12).toString('base64url')}aA1`],
          ['name', name],
          ['company', c.organization ?? 'N/A'],
          ...address,
          ['lang-pref', 'en'],
        ]),
        'signup',
      );
    }
    const contactId = idOf(
      await lb('POST', 'contacts/add.json', [
        ['name', name],
        ['company', c.organization ?? 'N/A'],
        ['email', c.email],
        ...address,
        ['customer-id', customerId],
        ['type', contactTypeOf(r.domain)],
      ]),
      'contact',
    );
    return { customerId, contactId };
  }

  const orderParams = (r: NewRegistration, ids: { customerId: string; contactId: string }): Params => [
    ['domain-name', r.domain],
    ...r.nameservers.map((ns): [string, string] => ['ns', ns]),
    ['customer-id', ids.customerId],
    ['reg-contact-id', ids.contactId],
    ['admin-contact-id', ids.contactId],
    ['tech-contact-id', ids.contactId],
    ['billing-contact-id', ids.contactId],
    ['invoice-option', 'NoInvoice'],
    ['protect-privacy', String(r.privacy)],
  ];

  return {
    kind: 'resellerclub',
    maxBatch: 5,
    async testConnection() {
      await lb('GET', 'billing/reseller-balance.json', [['reseller-id', creds.resellerId]]);
    },
    async check(domains): Promise<Availability[]> {
      // One call per TLD: the API answers the cross product of the labels and the TLDs it is given.
      const byTld = new Map<string, string[]>();
      for (const d of domains) {
        const { sld, tld } = splitDomain(d);
        byTld.set(tld, [...(byTld.get(tld) ?? []), sld]);
      }
      const found = new Map<string, Lb>();
      for (const [tld, slds] of byTld) {
        const body = objectOf(
          await lb('GET', 'domains/available.json', [
            ...slds.map((s): [string, string] => ['domain-name', s]),
            ['tlds', tld],
          ]),
          'available',
        );
        for (const [name, entry] of Object.entries(body)) found.set(name.toLowerCase(), entry as Lb);
      }
      return domains.map((domain) => {
        const entry = found.get(domain);
        const status = typeof entry?.status === 'string' ? entry.status : 'unknown';
        return {
          domain,
          available: status === 'available' ? true : status.startsWith('regthrough') ? false : null,
          premium: entry?.classkey === 'premium' || entry?.costHash !== undefined,
          ...(status === 'unknown' ? { reason: 'the registry did not answer; try again later' } : {}),
        };
      });
    },
    async info(domain, ref): Promise<RegistrarDomain | null> {
      const d = await details(domain, ref);
      if (!d || scalar(d.domainname ?? domain).toLowerCase() !== domain) return null;
      const current = scalar(d.currentstatus);
      const ns = Object.keys(d)
        .filter((k) => /^ns\d+$/.test(k))
        .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))
        .map((k) => String(d[k]).toLowerCase());
      const orderStatus = Array.isArray(d.orderstatus) ? (d.orderstatus as string[]) : [];
      return {
        domain,
        ref: d.orderid !== undefined ? scalar(d.orderid) : (ref ?? null),
        status:
          current === 'Active'
            ? 'active'
            : current === 'InActive'
              ? 'pending'
              : /delete|archived/i.test(current)
                ? 'expired'
                : 'other',
        expiresAt: isoDate(d.endtime),
        nameservers: ns,
        locked: orderStatus.includes('transferlock'),
        privacy: d.isprivacyprotected === undefined ? null : scalar(d.isprivacyprotected) === 'true',
      };
    },
    async register(r) {
      const ids = await contactFor(r);
      const body = await lb('POST', 'domains/register.json', [
        ...orderParams(r, ids),
        ['years', String(r.years)],
        ['purchase-privacy', String(r.privacy)],
      ]);
      return { ref: idOf(body, 'register') };
    },
    async transfer(r) {
      const ids = await contactFor(r);
      const body = await lb('POST', 'domains/transfer.json', [
        ...orderParams(r, ids),
        ['auth-code', r.eppCode],
      ]);
      return { transferRef: idOf(body, 'transfer') };
    },
    async transferStatus(domain, transferRef): Promise<TransferState> {
      const d = await details(domain, transferRef);
      if (!d) return 'cancelled';
      const current = scalar(d.currentstatus);
      if (current === 'Active') return 'completed';
      if (/deleted|archived/i.test(current)) return 'cancelled';
      if (d.actionstatus === 'Failed' || /fail|reject/i.test(scalar(d.actionstatusdesc))) return 'failed';
      return 'pending';
    },
    async renew(domain, ref, years, currentExpiresAt) {
      await lb('POST', 'domains/renew.json', [
        ['order-id', await orderIdOf(domain, ref)],
        ['years', String(years)],
        ['exp-date', String(Math.floor(new Date(currentExpiresAt).getTime() / 1000))],
        ['invoice-option', 'NoInvoice'],
        ['auto-renew', 'false'],
      ]);
    },
    async setNameservers(domain, ref, nameservers) {
      await lb('POST', 'domains/modify-ns.json', [
        ['order-id', await orderIdOf(domain, ref)],
        ...nameservers.map((ns): [string, string] => ['ns', ns]),
      ]);
    },
    async setLock(domain, ref, locked) {
      const fn = locked ? 'enable-theft-protection' : 'disable-theft-protection';
      await lb('POST', `domains/${fn}.json`, [['order-id', await orderIdOf(domain, ref)]]);
    },
    async setPrivacy(domain, ref, enabled) {
      await lb('POST', 'domains/modify-privacy-protection.json', [
        ['order-id', await orderIdOf(domain, ref)],
        ['protect-privacy', String(enabled)],
        ['reason', enabled ? 'Privacy requested by the registrant' : 'Privacy removed by the registrant'],
      ]);
    },
    async setContacts(domain, ref, registrant) {
      const orderId = await orderIdOf(domain, ref);
      const { contactId } = await contactFor({ registrant, domain });
      await lb('POST', 'domains/modify-contact.json', [
        ['order-id', orderId],
        ['reg-contact-id', contactId],
        ['admin-contact-id', contactId],
        ['tech-contact-id', contactId],
        ['billing-contact-id', contactId],
      ]);
    },
    async setChildHost(domain, ref, hostname, ips) {
      const orderId = await orderIdOf(domain, ref);
      const d = await details(domain, orderId);
      const cns = (d?.cns ?? {}) as Record<string, string[]>;
      const current = cns[hostname];
      if (!current)
        await lb('POST', 'domains/add-cns.json', [
          ['order-id', orderId],
          ['cns', hostname],
          ...ips.map((ip): [string, string] => ['ip', ip]),
        ]);
      else
        for (const [i, ip] of ips.entries()) {
          const old = current[i];
          if (old === ip) continue;
          if (old)
            await lb('POST', 'domains/modify-cns-ip.json', [
              ['order-id', orderId],
              ['cns', hostname],
              ['old-ip', old],
              ['new-ip', ip],
            ]);
          else
            await lb('POST', 'domains/add-cns.json', [
              ['order-id', orderId],
              ['cns', hostname],
              ['ip', ip],
            ]);
        }
    },
    dnsRecords() {
      return Promise.reject(registrarError('rejected', "this module does not manage LogicBoxes' DNS yet"));
    },
    setDnsRecords() {
      return Promise.reject(registrarError('rejected', "this module does not manage LogicBoxes' DNS yet"));
    },
    async eppCode(domain, ref) {
      const body = objectOf(
        await lb('GET', 'domains/details.json', [
          ['order-id', await orderIdOf(domain, ref)],
          ['options', 'OrderDetails'],
        ]),
        'details',
      );
      if (typeof body.domsecret !== 'string' || !body.domsecret)
        throw registrarError('rejected', 'LogicBoxes gave no EPP code for this domain');
      return body.domsecret;
    },
  };
}

/** Registries with their own contact rules get LogicBoxes' contact type of theirs; others `Contact`. */
const CONTACT_TYPES: Record<string, string> = {
  uk: 'UkContact',
  eu: 'EuContact',
  cn: 'CnContact',
  co: 'CoContact',
  ca: 'CaContact',
  de: 'DeContact',
  es: 'EsContact',
  nl: 'NlContact',
  ru: 'RuContact',
};
export const contactTypeOf = (domain: string) =>
  CONTACT_TYPES[domain.slice(domain.lastIndexOf('.') + 1)] ?? 'Contact';

/** JSON, or the bare scalars LogicBoxes answers with (`12345`, `true`); undefined for anything else. */
function safeJson(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t) as unknown;
  } catch {
    if (/^\d+$/.test(t)) return Number(t);
    return undefined;
  }
}
