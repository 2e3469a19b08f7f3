import { createHmac, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from './loopback';

interface StandInDomain {
  domainName: string;
  contacts?: Record<string, unknown>;
  vanityNameservers?: Record<string, string[]>;
  records?: { id: number; host: string; type: string; answer: string; ttl: number; priority?: number }[];
  nameservers: string[];
  locked: boolean;
  privacyEnabled: boolean;
  expireDate: string;
  createDate: string;
  authCode: string;
}

/** Names the stand-in says are registered by someone else (and anything with `taken` in it). */
const TAKEN = new Set(['example.com', 'google.com', 'geminis.com']);

/**
 * Signs a callback the way Name.com does (providers.md §4): `sha256=<hex>,<unix-ts>,<nonce>` over
 * `<webhook URL>|<body>` with the account's API token. The demo and the tests sign with it.
 */
export function signNamecomCallback(
  webhookUrl: string,
  token: string,
  body: string,
  ts = Math.floor(Date.now() / 1000),
  nonce: string = randomUUID(),
): string {
  const hex = createHmac('sha256', token).update(`${webhookUrl}|${body}`).digest('hex');
  return `sha256=${hex},${ts},${nonce}`;
}

/** JSON with its keys sorted at every level (what Name.com signs). */
export const sortedJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );

/**
 * A Name.com API v4 on loopback (`/v4/…`, HTTP Basic, JSON), with state and call counts: the registrar of
 * the embedded demo (`npm start` searches, registers and renews offline) and of the end-to-end tests.
 * Transfers stay pending until `completeTransfer` (or a signed callback says so). It checks only that
 * credentials are present: never expose it beyond loopback.
 */
export async function startRegistrarStandIn(options: { port?: number } = {}) {
  const domains = new Map<string, StandInDomain>();
  const transfers = new Map<string, { domainName: string; status: string; authCode: string }>();
  const calls: Record<string, number> = {};
  /**
   * Failures the tests use: `down` answers 503; `hang.<op>` does the operation and never answers (the
   * call "timed out" but happened); `failReadsAfterHang` makes that many reads after a hang answer 503.
   */
  const state = {
    down: false,
    hang: { register: 0, renew: 0, transfer: 0 },
    failReadsAfterHang: 0,
    failReads: 0,
  };
  const hung = (op: keyof typeof state.hang) => {
    if (state.hang[op] <= 0) return false;
    state.hang[op] -= 1;
    state.failReads = state.failReadsAfterHang;
    return true;
  };

  async function json(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  const inYears = (from: Date, years: number) => {
    const d = new Date(from);
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  };
  const available = (name: string) => !TAKEN.has(name) && !name.includes('taken') && !domains.has(name);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const path = decodeURIComponent(url.pathname);
    const key = `${req.method} ${path.replace(/\/domains\/[^/:]+/, '/domains/{name}').replace(/\/transfers\/[^/]+/, '/transfers/{name}')}`;
    calls[key] = (calls[key] ?? 0) + 1;
    if (!/^Basic .+/.test(req.headers.authorization ?? '')) return send(401, { message: 'Unauthenticated' });
    if (state.down) return send(503, { message: 'Service Unavailable' });
    if (req.method === 'GET' && state.failReads > 0) {
      state.failReads -= 1;
      return send(503, { message: 'Service Unavailable' });
    }
    const body = req.method === 'POST' || req.method === 'PUT' ? await json(req) : {};
    if (path === '/v4/hello')
      return send(200, { motd: 'stand-in', username: 'demo', serverName: 'stand-in' });
    if (path === '/v4/domains:checkAvailability') {
      const names = (body.domainNames as string[] | undefined) ?? [];
      return send(200, {
        results: names.map((n) => ({
          domainName: n,
          sld: n.split('.')[0],
          tld: n.slice(n.indexOf('.') + 1),
          ...(available(n)
            ? { purchasable: true, purchasePrice: 12.99, purchaseType: 'registration', renewalPrice: 12.99 }
            : {}),
        })),
      });
    }
    if (path === '/v4/domains' && req.method === 'POST') {
      const d = body.domain as
        { domainName?: string; nameservers?: string[]; privacyEnabled?: boolean } | undefined;
      const name = d?.domainName?.toLowerCase() ?? '';
      if (!name || !available(name))
        return send(400, { message: 'Invalid Argument', details: 'Domain is not available' });
      const now = new Date();
      domains.set(name, {
        domainName: name,
        nameservers: d?.nameservers?.length ? d.nameservers : ['ns1.name.com', 'ns2.name.com'],
        locked: true,
        privacyEnabled: d?.privacyEnabled ?? false,
        createDate: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        expireDate: inYears(now, Number(body.years ?? 1)),
        authCode: randomUUID().slice(0, 16),
      });
      if (hung('register')) return;
      return send(200, { domain: domains.get(name), order: 1000 + domains.size, totalPaid: 12.99 });
    }
    if (path === '/v4/transfers' && req.method === 'POST') {
      const name = (typeof body.domainName === 'string' ? body.domainName : '').toLowerCase();
      if (!name) return send(400, { message: 'Invalid Argument', details: 'domainName is required' });
      if (transfers.has(name) && transfers.get(name)!.status === 'pending')
        return send(400, { message: 'Invalid Argument', details: 'a transfer is already pending' });
      transfers.set(name, {
        domainName: name,
        status: 'pending',
        authCode: typeof body.authCode === 'string' ? body.authCode : '',
      });
      if (hung('transfer')) return;
      return send(200, {
        transfer: { domainName: name, email: 'registrant@example.com', status: 'pending' },
        order: 1,
        totalPaid: 12.99,
      });
    }
    const transfer = /^\/v4\/transfers\/([^/]+)$/.exec(path);
    if (transfer) {
      const t = transfers.get(transfer[1]!.toLowerCase());
      return t
        ? send(200, { domainName: t.domainName, email: 'registrant@example.com', status: t.status })
        : send(404, { message: 'Not Found' });
    }
    const records = /^\/v4\/domains\/([^/:]+)\/records(?:\/(\d+))?$/.exec(path);
    if (records) {
      const d = domains.get(records[1]!.toLowerCase());
      if (!d) return send(404, { message: 'Not Found' });
      const list = (d.records ??= []);
      if (req.method === 'GET')
        return send(200, { records: list.map((r) => ({ ...r, domainName: d.domainName })) });
      if (req.method === 'DELETE') {
        const at = list.findIndex((r) => r.id === Number(records[2]));
        if (at < 0) return send(404, { message: 'Not Found' });
        list.splice(at, 1);
        return send(200, {});
      }
      const record = {
        id: (calls.recordIds = (calls.recordIds ?? 0) + 1),
        host: typeof body.host === 'string' ? body.host : '',
        type: typeof body.type === 'string' ? body.type : 'A',
        answer: typeof body.answer === 'string' ? body.answer : '',
        ttl: typeof body.ttl === 'number' ? body.ttl : 300,
        ...(typeof body.priority === 'number' ? { priority: body.priority } : {}),
      };
      list.push(record);
      return send(200, { ...record, domainName: d.domainName });
    }
    const vanity = /^\/v4\/domains\/([^/:]+)\/vanity_nameservers(?:\/([^/]+))?$/.exec(path);
    if (vanity) {
      const d = domains.get(vanity[1]!.toLowerCase());
      if (!d) return send(404, { message: 'Not Found' });
      const hosts = (d.vanityNameservers ??= {});
      const hostname = vanity[2] ?? (typeof body.hostname === 'string' ? body.hostname : '');
      if (req.method === 'PUT' && !hosts[hostname]) return send(404, { message: 'Not Found' });
      hosts[hostname] = (body.ips as string[] | undefined) ?? [];
      return send(200, { hostname, ips: hosts[hostname] });
    }
    const m = /^\/v4\/domains\/([^/:]+)(?::(\w+))?$/.exec(path);
    if (m) {
      const d = domains.get(m[1]!.toLowerCase());
      if (!d) return send(404, { message: 'Not Found' });
      switch (m[2]) {
        case undefined:
          return send(200, d);
        case 'renew':
          d.expireDate = inYears(new Date(d.expireDate), Number(body.years ?? 1));
          if (hung('renew')) return;
          return send(200, { domain: d, order: 1, totalPaid: 12.99 });
        case 'setNameservers':
          d.nameservers = (body.nameservers as string[] | undefined) ?? [];
          return send(200, d);
        case 'lock':
        case 'unlock':
          d.locked = m[2] === 'lock';
          return send(200, d);
        case 'enableWhoisPrivacy':
        case 'disableWhoisPrivacy':
          d.privacyEnabled = m[2] === 'enableWhoisPrivacy';
          return send(200, d);
        case 'setContacts':
          d.contacts = (body.contacts as Record<string, unknown> | undefined) ?? {};
          return send(200, d);
        case 'getAuthCode':
          return send(200, { authCode: d.authCode });
        default:
          return send(404, { message: 'Not Found' });
      }
    }
    return send(404, { message: 'Not Found' });
  };

  const server = await listenLoopback(handle, options.port);
  const port = server.port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    domains,
    transfers,
    calls,
    state,
    /** Ends a pending transfer: the domain is then held here for a year. */
    completeTransfer(name: string, status: 'completed' | 'failed' | 'canceled' = 'completed') {
      const t = transfers.get(name);
      if (!t) return;
      t.status = status;
      if (status === 'completed') {
        const now = new Date();
        domains.set(name, {
          domainName: name,
          nameservers: ['ns1.name.com', 'ns2.name.com'],
          locked: true,
          privacyEnabled: false,
          createDate: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          expireDate: inYears(now, 1),
          authCode: randomUUID().slice(0, 16),
        });
      }
    },
    close: server.close,
  };
}

export type RegistrarStandIn = Awaited<ReturnType<typeof startRegistrarStandIn>>;
