import { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from './loopback';

// WHM API 1 envelopes (shared/reference/providers.md §1): HTTP 200 even on failure, metadata.result 0/1.
const whmOk = (command: string, data?: Record<string, unknown>, reason = 'OK') => ({
  metadata: { command, version: 1, result: 1, reason, output: { raw: '' } },
  ...(data ? { data } : {}),
});
const whmFail = (command: string, reason: string) => ({
  metadata: { command, version: 1, result: 0, reason, output: { raw: '' } },
});
const whmAcct = (user: string, domain: string, suspended: number, plan: string) => ({
  user,
  domain,
  plan,
  suspended,
  suspendreason: suspended ? 'Suspended' : 'not suspended',
  diskused: '0M',
  owner: 'root',
});

interface Acct {
  user: string;
  domain: string;
  plan: string;
  suspended: number;
}

/**
 * A WHM on loopback answering API 1 like the real one, with state and call counts: the panel of the
 * embedded demo (`npm start` completes the journey offline) and of the job tests, which also use its
 * failures — down (503), or a createacct that creates the account and then never answers (the call
 * "timed out" but happened) — and of the benchmark, which slows createacct down (`state.createDelayMs`). It checks no credentials: never expose it beyond loopback.
 */
export async function startWhmStandIn(options: { port?: number; createDelayMs?: number } = {}) {
  const accounts = new Map<string, Acct>();
  const calls: Record<string, number> = {};
  /** The password each account was last given (createacct, passwd), for tests to compare. */
  const passwords = new Map<string, string>();
  // createDelayMs: how long createacct takes before it answers (a real WHM takes seconds; the benchmark's
  // slow-panel case), the account existing from the start of the call as on a real panel.
  const state = { down: false, hangCreates: 0, createDelayMs: options.createDelayMs ?? 0 };

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
        passwords.set(user, params.get('password') ?? '');
        if (state.hangCreates > 0) {
          state.hangCreates -= 1;
          return; // created, but the answer never comes
        }
        if (state.createDelayMs > 0) await new Promise((r) => setTimeout(r, state.createDelayMs));
        return send(
          whmOk('createacct', { ip: '127.0.0.1', nameserver: 'ns1.demo.test', package: params.get('plan') }),
        );
      }
      case 'suspendacct':
      case 'unsuspendacct': {
        const a = accounts.get(params.get('user') ?? '');
        if (!a) return send(whmFail(fn, 'Account does not exist.'));
        a.suspended = fn === 'suspendacct' ? 1 : 0;
        return send(whmOk(fn));
      }
      case 'listpkgs':
        return send(whmOk(fn, { pkg: [{ name: 'starter' }, { name: 'pro' }] }));
      case 'create_user_session':
        return send(
          whmOk(fn, { url: `http://127.0.0.1:${port}/cpsess0000000000/login/?user=${params.get('user')}` }),
        );
      case 'passwd': {
        const user = params.get('user') ?? '';
        if (!accounts.has(user)) return send(whmFail(fn, `The user “${user}” does not exist.`));
        passwords.set(user, params.get('password') ?? '');
        return send(whmOk(fn, { app: 'system', user }, 'Password changed for user'));
      }
      case 'removeacct':
        accounts.delete(params.get('username') ?? '');
        return send(whmOk(fn));
      default:
        return send(whmFail(fn, 'Unknown function'));
    }
  };

  const server = await listenLoopback(handle, options.port);
  const port = server.port;
  return {
    port,
    accounts,
    passwords,
    calls,
    state,
    close: server.close,
  };
}

export type WhmStandIn = Awaited<ReturnType<typeof startWhmStandIn>>;
