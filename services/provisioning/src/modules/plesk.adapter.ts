import { type PleskCredentials } from '../domain/inputs';
import { PanelError, sizeToBytes, type AccountRef, type PanelAdapter, type PanelConnection } from './panel';
import { type PanelHttp } from './panel-http';
import { type PanelTimeouts } from './timeouts';
import { blockOf, esc, textOf } from './xml';

const AUTH_CODES = new Set(['1001', '11003']);
const NOT_FOUND = '1013';
/** "User account already exists", "inserted data already exists": an add that found its object there. */
const EXISTS = new Set(['1002', '1007']);

/** A per-operation refusal, with Plesk's errcode (an add's "exists" is read back, not trusted). */
class PleskResultError extends PanelError {
  constructor(
    kind: PanelError['kind'],
    message: string,
    readonly errcode: string,
  ) {
    super(kind, message);
  }
}

/**
 * Plesk XML API (`POST /enterprise/control/agent.php`, `KEY: <secret key>` or HTTP_AUTH_LOGIN/PASSWD). An
 * account is a customer (login = our user name) owning one webspace (name = the domain) on a service
 * plan. Errors arrive as `<system>` (auth, malformed packet) or a per-operation `<result>` with `errcode`;
 * `packet()` below is the one place that reads an answer.
 */
export function pleskAdapter(conn: PanelConnection, http: PanelHttp, timeouts: PanelTimeouts): PanelAdapter {
  const creds = conn.credentials as PleskCredentials;
  const url = `${conn.tls ? 'https' : 'http'}://${conn.hostname}:${conn.port}/enterprise/control/agent.php`;
  const auth: Record<string, string> =
    'secretKey' in creds
      ? { KEY: creds.secretKey }
      : { HTTP_AUTH_LOGIN: creds.login, HTTP_AUTH_PASSWD: creds.password };

  /** Sends one operation; answers its `<result>` block, or throws the normalised error. */
  async function packet(operation: string, timeoutMs = timeouts.defaultMs): Promise<string> {
    const res = await http.send(conn.serverId, {
      method: 'POST',
      url,
      headers: { 'content-type': 'text/xml', ...auth },
      body: `<?xml version="1.0" encoding="UTF-8"?><packet>${operation}</packet>`,
      timeoutMs,
    });
    if (res.status === 401 || res.status === 403)
      throw new PanelError('auth', `Plesk refused the credentials (HTTP ${res.status})`);
    const system = blockOf(res.text, 'system');
    if (system !== undefined) {
      const code = textOf(system, 'errcode') ?? '';
      const text = textOf(system, 'errtext') ?? 'error';
      throw new PanelError(AUTH_CODES.has(code) ? 'auth' : 'rejected', `Plesk ${code}: ${text}`);
    }
    const result = blockOf(res.text, 'result');
    if (res.status >= 400 || result === undefined)
      throw new PanelError('unavailable', `Plesk answered HTTP ${res.status} without a result`);
    if (textOf(result, 'status') !== 'ok') {
      const code = textOf(result, 'errcode') ?? '';
      const text = textOf(result, 'errtext') ?? 'error';
      const kind = code === NOT_FOUND ? 'not_found' : AUTH_CODES.has(code) ? 'auth' : 'rejected';
      throw new PleskResultError(kind, `Plesk ${code}: ${text}`, code);
    }
    return result;
  }

  const orNull = async <T>(p: Promise<T>): Promise<T | null> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof PanelError && err.kind === 'not_found') return null;
      throw err;
    }
  };

  /** Runs an add; false when Plesk answers that its object already exists (the caller reads it back). */
  const added = async (p: Promise<unknown>): Promise<boolean> => {
    try {
      await p;
      return true;
    } catch (err) {
      if (err instanceof PleskResultError && EXISTS.has(err.errcode)) return false;
      throw err;
    }
  };

  const ip = () => {
    if (!conn.ipAddress)
      throw new PanelError('rejected', 'a Plesk server needs its shared IP to host a webspace');
    return conn.ipAddress;
  };
  const byLogin = (login: string) => `<filter><login>${esc(login)}</login></filter>`;
  const byName = (name: string) => `<filter><name>${esc(name)}</name></filter>`;
  const domainOf = (ref: AccountRef) => {
    if (!ref.domain) throw new PanelError('rejected', 'a Plesk account needs a domain (its webspace name)');
    return ref.domain;
  };
  const customer = (login: string) =>
    orNull(packet(`<customer><get>${byLogin(login)}<dataset><gen_info/></dataset></get></customer>`));
  const webspace = (name: string) =>
    orNull(
      packet(`<webspace><get>${byName(name)}<dataset><gen_info/><subscriptions/></dataset></get></webspace>`),
    );
  /** Whether a customer (its `customer get` result) is ours: the same e-mail, where Plesk reports one. */
  const sameEmail = (found: string, email: string) => {
    const theirs = textOf(found, 'email');
    return theirs === undefined || theirs.toLowerCase() === email.toLowerCase();
  };
  /**
   * Whether a webspace (its `webspace get` result) belongs to that customer (its `customer get` result):
   * its gen_info's owner-id is the customer's id (or, where Plesk leaves the id out, its owner-login).
   */
  const ownedBy = (space: string, owner: string, login: string) => {
    const info = blockOf(space, 'gen_info') ?? '';
    const ownerId = textOf(info, 'owner-id');
    if (ownerId !== undefined) return ownerId === textOf(owner, 'id');
    return textOf(info, 'owner-login') === login;
  };
  const someoneElses = (what: string) =>
    new PanelError('rejected', `Plesk: ${what} belongs to another customer`);

  /**
   * The name of the service plan a subscription is on (its `subscriptions` dataset names the plan by guid
   * only; `service-plan get` by that guid names it), or null when it is on none (a custom subscription).
   */
  const planOf = async (space: string): Promise<string | null> => {
    const guid = textOf(blockOf(space, 'subscriptions') ?? '', 'plan-guid');
    if (!guid) return null;
    const plan = await orNull(
      packet(`<service-plan><get><filter><guid>${esc(guid)}</guid></filter></get></service-plan>`),
    );
    return plan ? (textOf(plan, 'name') ?? null) : null;
  };
  const setWebspaceStatus = (ref: AccountRef, status: 0 | 16) =>
    packet(
      `<webspace><set>${byName(domainOf(ref))}<values><gen_setup><status>${status}</status></gen_setup></values></set></webspace>`,
    );

  return {
    async testConnection() {
      await packet('<server><get><gen_info/></get></server>');
    },
    async lookup(ref) {
      const owner = await customer(ref.username);
      if (!owner || !ref.domain) return null;
      const space = await webspace(ref.domain);
      // A webspace of that name under another customer is not this account (create reports the conflict).
      if (!space || !ownedBy(space, owner, ref.username)) return null;
      // The webspace's own status, in gen_info: the result's first <status> is the operation's "ok".
      const status = textOf(blockOf(space, 'gen_info') ?? '', 'status') ?? '0';
      return {
        username: ref.username,
        domain: ref.domain,
        suspended: status !== '0',
        package: await planOf(space),
      };
    },
    async create(a) {
      // Look before adding, and read back an add answered "exists" (an earlier attempt's call that timed
      // out may have happened): a customer of this login with our e-mail, and a webspace of this domain
      // owned by that customer, are ours and reused; one that belongs to someone else is a conflict for
      // staff — nothing of ours is put under it.
      const ours = async () => {
        const found = await customer(a.username);
        if (found && !sameEmail(found, a.email)) throw someoneElses(`the login ${a.username}`);
        return found;
      };
      let owner = await ours();
      const space = await webspace(a.domain);
      if (space) {
        if (owner && ownedBy(space, owner, a.username)) return;
        throw someoneElses(`the webspace ${a.domain}`);
      }
      if (
        !owner &&
        !(await added(
          packet(
            `<customer><add><gen_info><pname>${esc(a.contactName)}</pname><login>${esc(a.username)}</login>` +
              `<passwd>${esc(a.password)}</passwd><email>${esc(a.email)}</email></gen_info></add></customer>`,
          ),
        ))
      )
        owner = await ours();
      const addedSpace = await added(
        packet(
          `<webspace><add><gen_setup><name>${esc(a.domain)}</name><owner-login>${esc(a.username)}</owner-login>` +
            `<htype>vrt_hst</htype><ip_address>${esc(ip())}</ip_address></gen_setup><hosting><vrt_hst>` +
            `<property><name>ftp_login</name><value>${esc(a.username)}</value></property>` +
            `<property><name>ftp_password</name><value>${esc(a.password)}</value></property>` +
            `<ip_address>${esc(ip())}</ip_address></vrt_hst></hosting><plan-name>${esc(a.package)}</plan-name></add></webspace>`,
          timeouts.createMs,
        ),
      );
      if (addedSpace) return;
      const now = await webspace(a.domain);
      owner ??= await customer(a.username);
      if (!now || !owner || !ownedBy(now, owner, a.username)) throw someoneElses(`the webspace ${a.domain}`);
    },
    async suspend(ref) {
      await setWebspaceStatus(ref, 16);
    },
    async unsuspend(ref) {
      await setWebspaceStatus(ref, 0);
    },
    async terminate(ref) {
      if (ref.domain) await orNull(packet(`<webspace><del>${byName(ref.domain)}</del></webspace>`));
      await orNull(packet(`<customer><del>${byLogin(ref.username)}</del></customer>`));
    },
    async changePackage(ref, pkg) {
      const plan = await packet(`<service-plan><get>${byName(pkg)}</get></service-plan>`);
      const guid = textOf(plan, 'guid');
      if (!guid) throw new PanelError('rejected', `Plesk: service plan ${pkg} has no guid`);
      await packet(
        `<webspace><switch-subscription>${byName(domainOf(ref))}<plan-guid>${esc(guid)}</plan-guid></switch-subscription></webspace>`,
      );
    },
    async usage(ref) {
      // gen_info's real_size: the subscription's disk in bytes; stat's traffic: this month's, in bytes.
      const name = domainOf(ref);
      const space = await packet(
        `<webspace><get>${byName(name)}<dataset><gen_info/><stat/></dataset></get></webspace>`,
      );
      return {
        diskBytes: sizeToBytes(textOf(space, 'real_size'), 'B'),
        bandwidthBytes: sizeToBytes(textOf(space, 'traffic'), 'B'),
      };
    },
    async loginUrl(ref, opts) {
      // server/create_session opens a session as the customer, bound to the browser's IP (base64, as the
      // API wants it); the browser then lands on rsession_init.php with the session id, once. Without the
      // browser's address there is no session to open: one bound to any other address is useless to it.
      const userIp = opts?.userIp?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
      if (!userIp)
        throw new PanelError('rejected', "Plesk binds its session to the browser's IP; none was known");
      const ipB64 = Buffer.from(userIp).toString('base64');
      const result = await packet(
        `<server><create_session><login>${esc(ref.username)}</login><data><user_ip>${ipB64}</user_ip>` +
          `<source_server></source_server></data></create_session></server>`,
      );
      const id = textOf(result, 'id');
      if (!id) throw new PanelError('unavailable', 'Plesk create_session answered without a session id');
      const origin = `${conn.tls ? 'https' : 'http'}://${conn.hostname}:${conn.port}`;
      return `${origin}/enterprise/rsession_init.php?PLESKSESSID=${encodeURIComponent(id)}`;
    },
    async changePassword(ref, password) {
      await packet(
        `<customer><set>${byLogin(ref.username)}<values><gen_info><passwd>${esc(password)}</passwd></gen_info></values></set></customer>`,
      );
    },
  };
}
