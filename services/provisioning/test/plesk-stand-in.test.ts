import { newId } from '@geminis/service-kit';
import { startPleskStandIn, type PleskStandIn } from '../src/dev/plesk-stand-in';
import { type PanelConnection, type PanelError } from '../src/modules/panel';
import { createPanelHttp } from '../src/modules/panel-http';
import { pleskAdapter } from '../src/modules/plesk.adapter';

/**
 * The demo's Plesk stand-in, driven by the real Plesk adapter: it must keep state the way a Plesk does,
 * or the embedded demo's Plesk orders would "work" against a panel that forgets them.
 */
describe('Plesk stand-in (with the Plesk adapter)', () => {
  let plesk: PleskStandIn;
  const http = createPanelHttp();
  const panel = () => {
    const conn: PanelConnection = {
      serverId: newId(),
      module: 'plesk',
      hostname: '127.0.0.1',
      port: plesk.port,
      tls: false,
      ipAddress: '127.0.0.1',
      credentials: { secretKey: 'demo-key' },
    };
    return pleskAdapter(conn, http, { defaultMs: 5_000, createMs: 5_000 });
  };
  const account = (username: string, domain: string, email = `${username}@example.test`) => ({
    username,
    domain,
    password: 'S3cret-pass!',
    package: 'Business',
    email,
    contactName: `Client ${username}`,
    reseller: false,
  });
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a PanelError');
      },
      (err: PanelError) => ({ kind: err.kind, message: err.message }),
    );

  beforeAll(async () => {
    plesk = await startPleskStandIn();
  });
  afterAll(async () => {
    http.shutdown();
    await plesk.close();
  });

  it('answers the connection test, and refuses a packet without credentials', async () => {
    await panel().testConnection();
    const res = await fetch(`http://127.0.0.1:${plesk.port}/enterprise/control/agent.php`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<packet><server><get><gen_info/></get></server></packet>',
    });
    expect(await res.text()).toContain('<system><status>error</status><errcode>1001</errcode>');
  });

  it('shows a created customer and webspace on its service plan, active', async () => {
    await panel().create(account('anna', 'anna.example'));
    expect(await panel().lookup({ username: 'anna', domain: 'anna.example' })).toEqual({
      username: 'anna',
      domain: 'anna.example',
      suspended: false,
      package: 'Business',
    });
    expect(plesk.passwords.get('anna')).toBe('S3cret-pass!');
  });

  it('suspends a webspace with status 16 and reactivates it with status 0', async () => {
    await panel().create(account('bert', 'bert.example'));
    const ref = { username: 'bert', domain: 'bert.example' };
    await panel().suspend(ref, 'Overdue');
    expect(plesk.webspaces.get('bert.example')?.status).toBe(16);
    expect((await panel().lookup(ref))?.suspended).toBe(true);
    await panel().unsuspend(ref);
    expect(plesk.webspaces.get('bert.example')?.status).toBe(0);
    expect((await panel().lookup(ref))?.suspended).toBe(false);
  });

  it('switches the plan, changes the password, and terminates', async () => {
    await panel().create(account('cleo', 'cleo.example'));
    const ref = { username: 'cleo', domain: 'cleo.example' };
    await panel().changePackage(ref, 'Pro');
    expect((await panel().lookup(ref))?.package).toBe('Pro');
    await panel().changePassword(ref, 'N3w-pass-word');
    expect(plesk.passwords.get('cleo')).toBe('N3w-pass-word');
    await panel().terminate(ref);
    expect(await panel().lookup(ref)).toBeNull();
    expect(plesk.customers.has('cleo')).toBe(false);
  });

  it('opens a one-time single sign-on session for the customer', async () => {
    await panel().create(account('dora', 'dora.example'));
    const url = await panel().loginUrl!(
      { username: 'dora', domain: 'dora.example' },
      { userIp: '127.0.0.1' },
    );
    expect(url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${plesk.port}/enterprise/rsession_init\\.php\\?PLESKSESSID=`),
    );
    const first = await fetch(url);
    expect({ status: first.status, body: await first.text() }).toEqual({
      status: 200,
      body: expect.stringContaining('signed in as dora') as string,
    });
    expect((await fetch(url)).status).toBe(403);
  });

  it('refuses a webspace of a domain another customer holds, and leaves that one alone', async () => {
    await panel().create(account('erik', 'shared.example'));
    expect(await failureOf(panel().create(account('fred', 'shared.example')))).toEqual({
      kind: 'rejected',
      message: 'Plesk: the webspace shared.example belongs to another customer',
    });
    expect(await panel().lookup({ username: 'fred', domain: 'shared.example' })).toBeNull();
    expect(plesk.webspaces.get('shared.example')?.ownerId).toBe(plesk.customers.get('erik')?.id);
    expect(plesk.customers.has('fred')).toBe(false);
  });

  it('refuses a webspace on a service plan it does not have, and creates no webspace', async () => {
    const err = await failureOf(
      panel().create({ ...account('gina', 'gina.example'), package: 'Nonexistent' }),
    );
    expect(err.message).toBe('Plesk 1013: Service plan Nonexistent does not exist');
    expect(plesk.webspaces.has('gina.example')).toBe(false);
  });
});
