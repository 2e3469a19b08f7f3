import { type DirectAdminCredentials } from '../domain/inputs';
import { PanelError, sizeToBytes, type PanelAdapter, type PanelConnection } from './panel';
import { type PanelHttp } from './panel-http';
import { type PanelTimeouts } from './timeouts';

const decodeEntities = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/**
 * DirectAdmin's legacy API (`/CMD_API_*` on port 2222, HTTP Basic with a login key). Answers are
 * URL-encoded (`error=0&text=…&details=…`, lists as `list[]=`); a refused login answers the HTML login
 * page, not an error. `call()` below is the one place that reads an answer. Suspend is a toggle on older
 * versions: the job runner reads the account's state before it suspends or unsuspends.
 */
export function directAdminAdapter(
  conn: PanelConnection,
  http: PanelHttp,
  timeouts: PanelTimeouts,
): PanelAdapter {
  const creds = conn.credentials as DirectAdminCredentials;
  const base = `${conn.tls ? 'https' : 'http'}://${conn.hostname}:${conn.port}/`;
  const authorization = `Basic ${Buffer.from(`${creds.username}:${creds.loginKey}`).toString('base64')}`;

  async function call(
    command: string,
    params: Record<string, string>,
    opts: { post?: boolean; timeoutMs?: number; asUser?: string } = {},
  ): Promise<URLSearchParams> {
    const form = new URLSearchParams(params).toString();
    const res = await http.send(conn.serverId, {
      method: opts.post ? 'POST' : 'GET',
      url: `${base}${command}${!opts.post && form ? `?${form}` : ''}`,
      headers: {
        // "Login as": `admin|user` with the admin's key runs the command as that user.
        authorization: opts.asUser
          ? `Basic ${Buffer.from(`${creds.username}|${opts.asUser}:${creds.loginKey}`).toString('base64')}`
          : authorization,
        ...(opts.post ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(opts.post ? { body: form } : {}),
      timeoutMs: opts.timeoutMs ?? timeouts.defaultMs,
    });
    if (res.status === 401 || res.status === 403 || /<!doctype html|<html|DirectAdmin Login/i.test(res.text))
      throw new PanelError('auth', 'DirectAdmin refused the login key (it answered its login page)');
    if (res.status >= 400) throw new PanelError('unavailable', `DirectAdmin answered HTTP ${res.status}`);
    const answer = new URLSearchParams(decodeEntities(res.text));
    if (answer.get('error') === '1') {
      const text = [answer.get('text'), answer.get('details')].filter(Boolean).join(': ');
      const kind = /authority level/i.test(text) ? 'auth' : 'rejected';
      throw new PanelError(kind, `DirectAdmin ${command}: ${text || 'failed without a reason'}`);
    }
    return answer;
  }

  const select = (username: string, fields: Record<string, string>) =>
    call('CMD_API_SELECT_USERS', { ...fields, select0: username }, { post: true });

  return {
    async testConnection() {
      await call('CMD_API_SHOW_USERS', {});
    },
    async lookup(ref) {
      const users = (await call('CMD_API_SHOW_USERS', {})).getAll('list[]');
      if (!users.includes(ref.username)) return null;
      const config = await call('CMD_API_SHOW_USER_CONFIG', { user: ref.username });
      return {
        username: ref.username,
        domain: config.get('domain'),
        suspended: config.get('suspended') === 'yes',
        package: config.get('package'),
      };
    },
    async create(a) {
      const ip = conn.ipAddress ?? (await call('CMD_API_SHOW_RESELLER_IPS', {})).getAll('list[]')[0];
      if (!ip) throw new PanelError('rejected', 'DirectAdmin: the reseller has no IP to give the account');
      await call(
        'CMD_API_ACCOUNT_USER',
        {
          action: 'create',
          add: 'Submit',
          username: a.username,
          email: a.email,
          passwd: a.password,
          passwd2: a.password,
          domain: a.domain,
          package: a.package,
          ip,
          notify: 'no',
        },
        { post: true, timeoutMs: timeouts.createMs },
      );
    },
    async suspend(ref) {
      await select(ref.username, { location: 'CMD_SELECT_USERS', suspend: 'suspend' });
    },
    async unsuspend(ref) {
      await select(ref.username, { location: 'CMD_SELECT_USERS', suspend: 'unsuspend' });
    },
    async terminate(ref) {
      await select(ref.username, { confirmed: 'Confirm', delete: 'yes' });
    },
    async changePackage(ref, pkg) {
      await call(
        'CMD_API_MODIFY_USER',
        { action: 'package', user: ref.username, package: pkg },
        { post: true },
      );
    },
    async usage(ref) {
      // CMD_API_SHOW_USER_USAGE: bandwidth (this month) and quota (disk) in MB.
      const used = await call('CMD_API_SHOW_USER_USAGE', { user: ref.username });
      return {
        diskBytes: sizeToBytes(used.get('quota'), 'M'),
        bandwidthBytes: sizeToBytes(used.get('bandwidth'), 'M'),
      };
    },
    async loginUrl(ref) {
      // A one-time login URL, created as the user (login-as); DirectAdmin answers it in `details`.
      const answer = await call(
        'CMD_API_LOGIN_KEYS',
        { action: 'create', type: 'one_time_url', expiry: '5m' },
        { post: true, asUser: ref.username },
      );
      const url = answer.get('details') ?? '';
      if (!/^https?:\/\//.test(url))
        throw new PanelError('unavailable', 'DirectAdmin CMD_API_LOGIN_KEYS answered without a URL');
      return url;
    },
    async changePassword(ref, password) {
      await call(
        'CMD_API_USER_PASSWD',
        { username: ref.username, passwd: password, passwd2: password },
        { post: true },
      );
    },
  };
}
