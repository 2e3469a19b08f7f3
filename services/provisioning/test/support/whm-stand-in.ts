import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { whmAcct, whmCreated, whmFail, whmOk } from './panel-fixtures';

interface Acct {
  user: string;
  domain: string;
  plan: string;
  suspended: number;
}

/**
 * A WHM on loopback answering API 1 like the real one (same envelopes as the nock fixtures), with state,
 * call counts, and the failures the job tests need: down (503), or a createacct that creates the account
 * and then never answers (the call "timed out" but happened).
 */
export async function startWhmStandIn() {
  const accounts = new Map<string, Acct>();
  const calls: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const state = { down: false, hangCreates: 0 };

  async function body(req: IncomingMessage): Promise<URLSearchParams> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const fn = url.pathname.replace('/json-api/', '');
    calls[fn] = (calls[fn] ?? 0) + 1;
    const params = req.method === 'POST' ? await body(req) : url.searchParams;
    const send = (payload: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (state.down) return send({ error: 'service unavailable' }, 503);
    if (url.searchParams.get('api.version') !== '1') return send({ result: [{ status: 0 }] });
    switch (fn) {
      case 'listaccts': {
        const a = accounts.get(params.get('search') ?? '');
        return send(whmOk('listaccts', { acct: a ? [whmAcct(a.user, a.domain, a.suspended, a.plan)] : [] }));
      }
      case 'createacct': {
        const user = params.get('username')!;
        if (accounts.has(user))
          return send(whmFail('createacct', 'Sorry, a group for that username already exists.'));
        accounts.set(user, { user, domain: params.get('domain')!, plan: params.get('plan')!, suspended: 0 });
        if (state.hangCreates > 0) {
          state.hangCreates -= 1;
          return; // created, but the answer never comes
        }
        return send(whmCreated());
      }
      case 'suspendacct':
      case 'unsuspendacct': {
        const a = accounts.get(params.get('user') ?? '');
        if (!a) return send(whmFail(fn, 'Account does not exist.'));
        a.suspended = fn === 'suspendacct' ? 1 : 0;
        return send(whmOk(fn));
      }
      case 'removeacct':
        accounts.delete(params.get('username') ?? '');
        return send(whmOk(fn));
      default:
        return send(whmFail(fn, 'Unknown function'));
    }
  };

  const server = createServer((req, res) => void handle(req, res)).on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accounts,
    calls,
    state,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export type WhmStandIn = Awaited<ReturnType<typeof startWhmStandIn>>;
