import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { blockOf, esc, textOf } from '../modules/xml';
import { listenLoopback } from './loopback';

// Plesk XML API packets (shared/reference/providers.md §2b): HTTP 200 either way; a failed operation is a
// <result> with <status>error</status>, an errcode and an errtext; a refused packet a <system> block.
const packet = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><packet version="1.6.9.1">${inner}</packet>`;
const ok = (operator: string, operation: string, extra = '') =>
  packet(
    `<${operator}><${operation}><result><status>ok</status>${extra}</result></${operation}></${operator}>`,
  );
const fail = (operator: string, operation: string, errcode: number, errtext: string) =>
  packet(
    `<${operator}><${operation}><result><status>error</status><errcode>${errcode}</errcode>` +
      `<errtext>${esc(errtext)}</errtext></result></${operation}></${operator}>`,
  );
const systemError = (errcode: number, errtext: string) =>
  packet(
    `<system><status>error</status><errcode>${errcode}</errcode><errtext>${esc(errtext)}</errtext></system>`,
  );

interface Customer {
  id: number;
  guid: string;
  login: string;
  pname: string;
  email: string;
  status: number;
}

interface Webspace {
  id: number;
  guid: string;
  name: string;
  ownerId: number;
  status: number;
  planGuid: string | null;
}

interface Plan {
  id: number;
  guid: string;
  name: string;
}

/**
 * A Plesk on loopback answering the XML API operations the plesk adapter sends (`customer`
 * get/add/set/del, `webspace` get/add/set/del/switch-subscription, `service-plan` get, `server` get and
 * create_session) like the real one, with state: the panel of the embedded demo's reseller-owned Plesk
 * server (`npm start` completes a Plesk order offline) and of the Plesk job tests, which also use its
 * failures (down, or a webspace add that happens and never answers). Its service plans are `Business`
 * and `Pro`. It wants a `KEY` or `HTTP_AUTH_LOGIN` header but checks no value: never expose it beyond
 * loopback.
 */
export async function startPleskStandIn(options: { port?: number } = {}) {
  let nextId = 1;
  const customers = new Map<string, Customer>();
  const webspaces = new Map<string, Webspace>();
  const plans = new Map<string, Plan>(
    ['Business', 'Pro'].map((name) => [name, { id: nextId++, guid: randomUUID(), name }]),
  );
  /** The password each customer was last given (add, set), for tests to compare. */
  const passwords = new Map<string, string>();
  /** Sessions opened by create_session: id → customer login. */
  const sessions = new Map<string, string>();
  const calls: Record<string, number> = {};
  // down: every call answers 503; hangWebspaceAdds: that many webspace adds create the webspace and then
  // never answer (the call "timed out" but happened, for the adoption tests).
  const state = { down: false, hangWebspaceAdds: 0 };

  const customerById = (id: number) => [...customers.values()].find((c) => c.id === id);
  const filterOf = (op: string) => blockOf(op, 'filter') ?? '';

  const customerOp = (operation: string, op: string): string => {
    const login = textOf(filterOf(op), 'login') ?? '';
    const found = customers.get(login);
    switch (operation) {
      case 'get':
        if (!found) return fail('customer', 'get', 1013, 'Client does not exist');
        return ok(
          'customer',
          'get',
          `<filter-id>${esc(login)}</filter-id><id>${found.id}</id><data><gen_info>` +
            `<cr_date>2026-01-05</cr_date><pname>${esc(found.pname)}</pname><login>${esc(found.login)}</login>` +
            `<status>${found.status}</status><email>${esc(found.email)}</email><guid>${found.guid}</guid>` +
            `</gen_info></data>`,
        );
      case 'add': {
        const info = blockOf(op, 'gen_info') ?? '';
        const newLogin = textOf(info, 'login') ?? '';
        const pname = textOf(info, 'pname') ?? '';
        if (!newLogin || !pname)
          return fail('customer', 'add', 1019, 'Invalid value: login and pname are required');
        if (customers.has(newLogin))
          return fail('customer', 'add', 1002, `User account ${newLogin} already exists`);
        const c: Customer = {
          id: nextId++,
          guid: randomUUID(),
          login: newLogin,
          pname,
          email: textOf(info, 'email') ?? '',
          status: 0,
        };
        customers.set(newLogin, c);
        passwords.set(newLogin, textOf(info, 'passwd') ?? '');
        return ok('customer', 'add', `<id>${c.id}</id><guid>${c.guid}</guid>`);
      }
      case 'set': {
        if (!found) return fail('customer', 'set', 1013, 'Client does not exist');
        const info = blockOf(blockOf(op, 'values') ?? '', 'gen_info') ?? '';
        const passwd = textOf(info, 'passwd');
        if (passwd !== undefined) passwords.set(login, passwd);
        const status = textOf(info, 'status');
        if (status !== undefined) {
          if (status !== '0' && status !== '16') return fail('customer', 'set', 1025, 'Wrong status value');
          found.status = Number(status);
        }
        return ok('customer', 'set', `<filter-id>${esc(login)}</filter-id><id>${found.id}</id>`);
      }
      case 'del':
        if (!found) return fail('customer', 'del', 1013, 'Client does not exist');
        for (const [name, w] of webspaces) if (w.ownerId === found.id) webspaces.delete(name);
        customers.delete(login);
        return ok('customer', 'del', `<filter-id>${esc(login)}</filter-id><id>${found.id}</id>`);
      default:
        return fail('customer', operation, 1014, 'Unsupported operation');
    }
  };

  const webspaceInfo = (w: Webspace) =>
    `<gen_info><cr_date>2026-01-05</cr_date><name>${esc(w.name)}</name><ascii-name>${esc(w.name)}</ascii-name>` +
    `<status>${w.status}</status><real_size>0</real_size><owner-id>${w.ownerId}</owner-id>` +
    `<owner-login>${esc(customerById(w.ownerId)?.login ?? '')}</owner-login>` +
    `<dns_ip_address>127.0.0.1</dns_ip_address><htype>vrt_hst</htype><guid>${w.guid}</guid></gen_info>`;

  const webspaceOp = (operation: string, op: string): string => {
    const name = (textOf(filterOf(op), 'name') ?? '').toLowerCase();
    const found = webspaces.get(name);
    switch (operation) {
      case 'get': {
        if (!found) return fail('webspace', 'get', 1013, 'Webspace does not exist');
        const dataset = blockOf(op, 'dataset') ?? '';
        const plan = found.planGuid ? `<plan><plan-guid>${found.planGuid}</plan-guid></plan>` : '';
        return ok(
          'webspace',
          'get',
          `<filter-id>${esc(name)}</filter-id><id>${found.id}</id><data>` +
            (dataset.includes('<gen_info/>') ? webspaceInfo(found) : '') +
            (dataset.includes('<subscriptions/>')
              ? `<subscriptions><subscription><locked>false</locked><synchronized>true</synchronized>${plan}</subscription></subscriptions>`
              : '') +
            (dataset.includes('<stat/>') ? '<stat><traffic>0</traffic></stat>' : '') +
            `</data>`,
        );
      }
      case 'add': {
        const setup = blockOf(op, 'gen_setup') ?? '';
        const newName = (textOf(setup, 'name') ?? '').toLowerCase();
        const owner = customers.get(textOf(setup, 'owner-login') ?? '');
        if (!newName || !textOf(setup, 'ip_address'))
          return fail('webspace', 'add', 1019, 'Invalid value: name and ip_address are required');
        if (!owner) return fail('webspace', 'add', 1015, 'Owner not found');
        if (webspaces.has(newName)) return fail('webspace', 'add', 1007, `Domain ${newName} already exists`);
        const planName = textOf(op, 'plan-name');
        const plan = planName === undefined ? undefined : plans.get(planName);
        if (planName !== undefined && !plan)
          return fail('webspace', 'add', 1013, `Service plan ${planName} does not exist`);
        const w: Webspace = {
          id: nextId++,
          guid: randomUUID(),
          name: newName,
          ownerId: owner.id,
          status: 0,
          planGuid: plan?.guid ?? null,
        };
        webspaces.set(newName, w);
        return ok('webspace', 'add', `<id>${w.id}</id><guid>${w.guid}</guid>`);
      }
      case 'set': {
        if (!found) return fail('webspace', 'set', 1013, 'Webspace does not exist');
        const status = textOf(blockOf(blockOf(op, 'values') ?? '', 'gen_setup') ?? '', 'status');
        if (status !== undefined) {
          if (!['0', '8', '16', '32', '64'].includes(status))
            return fail('webspace', 'set', 1025, 'Wrong status value');
          found.status = Number(status);
        }
        return ok('webspace', 'set', `<filter-id>${esc(name)}</filter-id><id>${found.id}</id>`);
      }
      case 'del':
        if (!found) return fail('webspace', 'del', 1013, 'Webspace does not exist');
        webspaces.delete(name);
        return ok('webspace', 'del', `<filter-id>${esc(name)}</filter-id><id>${found.id}</id>`);
      case 'switch-subscription': {
        if (!found) return fail('webspace', operation, 1013, 'Webspace does not exist');
        const guid = textOf(op, 'plan-guid');
        const plan = [...plans.values()].find((p) => p.guid === guid);
        if (!plan) return fail('webspace', operation, 1013, 'Service plan does not exist');
        found.planGuid = plan.guid;
        return ok('webspace', operation, `<filter-id>${esc(name)}</filter-id><id>${found.id}</id>`);
      }
      default:
        return fail('webspace', operation, 1014, 'Unsupported operation');
    }
  };

  const planOp = (op: string): string => {
    const filter = filterOf(op);
    const name = textOf(filter, 'name');
    const guid = textOf(filter, 'guid');
    const plan = [...plans.values()].find((p) => p.name === name || p.guid === guid);
    if (!plan) return fail('service-plan', 'get', 1013, 'Service plan does not exist');
    return ok(
      'service-plan',
      'get',
      `<id>${plan.id}</id><guid>${plan.guid}</guid><external-id></external-id><name>${esc(plan.name)}</name><owner-id>1</owner-id>`,
    );
  };

  const serverOp = (operation: string, op: string): string => {
    if (operation === 'get')
      return ok('server', 'get', '<gen_info><server_name>plesk.demo.test</server_name></gen_info>');
    if (operation === 'create_session') {
      const login = textOf(op, 'login') ?? '';
      if (!customers.has(login)) return fail('server', operation, 1013, 'Client does not exist');
      if (!textOf(op, 'user_ip')) return fail('server', operation, 1019, 'Invalid value: user_ip');
      const id = randomUUID().replace(/-/g, '');
      sessions.set(id, login);
      return ok('server', operation, `<id>${id}</id>`);
    }
    return fail('server', operation, 1014, 'Unsupported operation');
  };

  /** One operation of a packet: `<operator><operation>…</operation></operator>`; null: no answer. */
  const answer = (xml: string): string | null => {
    const m = /<packet[^>]*>\s*<([\w-]+)>\s*<([\w-]+)>([\s\S]*)<\/\2>\s*<\/\1>\s*<\/packet>/.exec(xml);
    if (!m) return systemError(1014, 'Parser error: Request is invalid');
    const [, operator, operation, op] = m as unknown as [string, string, string, string];
    calls[`${operator}.${operation}`] = (calls[`${operator}.${operation}`] ?? 0) + 1;
    switch (operator) {
      case 'customer':
        return customerOp(operation, op);
      case 'webspace': {
        const answered = webspaceOp(operation, op);
        if (operation === 'add' && state.hangWebspaceAdds > 0 && answered.includes('<status>ok</status>')) {
          state.hangWebspaceAdds -= 1;
          return null; // created, but the answer never comes
        }
        return answered;
      }
      case 'service-plan':
        return operation === 'get' ? planOp(op) : fail(operator, operation, 1014, 'Unsupported operation');
      case 'server':
        return serverOp(operation, op);
      default:
        return systemError(1014, `Parser error: unknown operator ${operator}`);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, type: string, text: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    if (state.down) return send(503, 'text/html', '<html><body>Service Unavailable</body></html>');
    if (req.method === 'GET' && url.pathname === '/enterprise/rsession_init.php') {
      // The browser's landing: a session is good once.
      const login = sessions.get(url.searchParams.get('PLESKSESSID') ?? '');
      if (!login) return send(403, 'text/html', '<html><body>Session expired</body></html>');
      sessions.delete(url.searchParams.get('PLESKSESSID') ?? '');
      return send(200, 'text/html', `<html><body>Plesk stand-in: signed in as ${esc(login)}</body></html>`);
    }
    if (req.method !== 'POST' || url.pathname !== '/enterprise/control/agent.php')
      return send(404, 'text/html', '<html><body>Not Found</body></html>');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!req.headers.key && !req.headers.http_auth_login)
      return send(200, 'text/xml', systemError(1001, 'Authentication failed - wrong password.'));
    const answered = answer(Buffer.concat(chunks).toString('utf8'));
    if (answered !== null) send(200, 'text/xml', answered);
  };

  const server = await listenLoopback(handle, options.port);
  const port = server.port;
  return {
    port,
    customers,
    webspaces,
    plans,
    passwords,
    calls,
    state,
    close: server.close,
  };
}

export type PleskStandIn = Awaited<ReturnType<typeof startPleskStandIn>>;
