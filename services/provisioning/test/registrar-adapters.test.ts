import { createServer } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { type PanelError } from '../src/modules/panel';
import { createPanelHttp } from '../src/modules/panel-http';
import { namecheapAdapter } from '../src/registrars/namecheap.adapter';
import { namecomAdapter } from '../src/registrars/namecom.adapter';
import { type RegistrarConnection } from '../src/registrars/registrar';
import { contactTypeOf, resellerClubAdapter } from '../src/registrars/resellerclub.adapter';
import { registrant } from './support/domains';
import { usePanelNock } from './support/nock';
import { lbAction, lbDetails, ncGetInfo, ncResponse } from './support/registrar-fixtures';

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a RegistrarError');
    },
    (err: PanelError) => ({ kind: err.kind, message: err.message }),
  );

const registration = {
  domain: 'ada-example.com',
  years: 2,
  nameservers: ['ns1.acme-hosting.test', 'ns2.acme-hosting.test'],
  privacy: true,
  registrant,
};

/** A server that accepts requests and never answers: a registrar call that may have happened. */
async function silentServer() {
  const sockets = new Set<Socket>();
  const server = createServer(() => undefined).on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A form body as nock hands it to a matcher (a string, or already parsed with arrays for repeated keys). */
function formOf(b: unknown): URLSearchParams {
  if (typeof b === 'string') return new URLSearchParams(b);
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(b as Record<string, string | string[]>))
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  return p;
}

describe('registrar adapters', () => {
  const http = createPanelHttp({ breaker: { volumeThreshold: 100 } });
  usePanelNock();
  afterAll(() => http.shutdown());

  describe('ResellerClub / LogicBoxes', () => {
    const LB = 'https://test.httpapi.com';
    const conn = (endpoint = LB): RegistrarConnection => ({
      accountId: newId(),
      registrar: 'resellerclub',
      endpoint,
      credentials: { resellerId: '123456', apiKey: 'LB-API-KEY-123' },
    });
    const rc = (endpoint?: string, timeoutMs = 2_000) => resellerClubAdapter(conn(endpoint), http, timeoutMs);
    const authed = (q: Record<string, unknown>) =>
      q['auth-userid'] === '123456' && q['api-key'] === 'LB-API-KEY-123';

    it('checks availability with repeated domain-name keys, one call per TLD', async () => {
      const scope = nock(LB)
        .get('/api/domains/available.json')
        .query(
          (q) => authed(q) && JSON.stringify(q['domain-name']) === '["free","taken"]' && q.tlds === 'com',
        )
        .reply(200, {
          'free.com': { classkey: 'domcno', status: 'available' },
          'taken.com': { classkey: 'domcno', status: 'regthroughothers' },
        })
        .get('/api/domains/available.json')
        .query((q) => q['domain-name'] === 'maybe' && q.tlds === 'net')
        .reply(200, { 'maybe.net': { classkey: 'dotnet', status: 'unknown' } });
      const found = await rc().check(['free.com', 'taken.com', 'maybe.net']);
      expect(found).toEqual([
        { domain: 'free.com', available: true, premium: false },
        { domain: 'taken.com', available: false, premium: false },
        {
          domain: 'maybe.net',
          available: null,
          premium: false,
          reason: expect.stringContaining('try again'),
        },
      ]);
      expect(scope.isDone()).toBe(true);
    });

    it('registers: finds the customer, adds a contact (a bare id), registers with every contact and nameserver', async () => {
      let registerBody = new URLSearchParams();
      nock(LB)
        .get('/api/customers/details.json')
        .query((q) => authed(q) && q.username === 'ada@example.com')
        .reply(200, { customerid: '23456', username: 'ada@example.com', name: 'Ada Lovelace' })
        .post(
          '/api/contacts/add.json',
          (b: unknown) => formOf(b).get('customer-id') === '23456' && formOf(b).get('type') === 'Contact',
        )
        .reply(200, '98765')
        .post('/api/domains/register.json', (b: unknown) => {
          registerBody = formOf(b);
          return true;
        })
        .reply(200, lbAction('5551234', 'AddNewDomain'));
      expect(await rc().register(registration)).toEqual({ ref: '5551234' });
      expect(registerBody.getAll('ns')).toEqual(['ns1.acme-hosting.test', 'ns2.acme-hosting.test']);
      expect(registerBody.get('years')).toBe('2');
      for (const c of ['reg-contact-id', 'admin-contact-id', 'tech-contact-id', 'billing-contact-id'])
        expect([c, registerBody.get(c)]).toEqual([c, '98765']);
      expect(registerBody.get('invoice-option')).toBe('NoInvoice');
      expect(registerBody.get('api-key')).toBe('LB-API-KEY-123');
      // Registries with rules of their own get their contact type.
      expect(['bruno.co.uk', 'x.eu', 'y.com', 'z.de'].map(contactTypeOf)).toEqual([
        'UkContact',
        'EuContact',
        'Contact',
        'DeContact',
      ]);
    });

    it('reads `status: ERROR` as a refusal, even on an HTTP 500 (the body says why), and `actionstatus: Failed`', async () => {
      nock(LB)
        .get('/api/domains/details-by-name.json')
        .query(true)
        .reply(500, { status: 'ERROR', message: 'Order Locked In Processing' });
      expect(await failureOf(rc().info('ada-example.com'))).toEqual({
        kind: 'rejected',
        message: 'LogicBoxes: Order Locked In Processing',
      });
      nock(LB)
        .get('/api/domains/orderid.json')
        .query(true)
        .reply(200, '5551234')
        .post('/api/domains/renew.json')
        .reply(
          200,
          lbAction('5551234', 'RenewDomain', 'Failed', 'Insufficient funds in the reseller account'),
        );
      expect(await failureOf(rc().renew('ada-example.com', null, 1, '2027-11-30T00:00:00.000Z'))).toEqual({
        kind: 'rejected',
        message: 'LogicBoxes: Insufficient funds in the reseller account',
      });
      nock(LB)
        .get('/api/domains/orderid.json')
        .query(true)
        .reply(200, { status: 'error', error: 'Invalid domain name' });
      expect((await failureOf(rc().setLock('bad', null, true))).kind).toBe('rejected');
    });

    it('takes bare scalars: the order id of orderid.json, sent back with the current expiry to renew', async () => {
      let renewBody = new URLSearchParams();
      nock(LB)
        .get('/api/domains/orderid.json')
        .query((q) => q['domain-name'] === 'ada-example.com')
        .reply(200, '5551234')
        .post('/api/domains/renew.json', (b: unknown) => {
          renewBody = formOf(b);
          return true;
        })
        .reply(200, lbAction('5551234', 'RenewDomain'));
      await rc().renew('ada-example.com', null, 1, '2027-11-30T00:00:00.000Z');
      expect(renewBody.get('order-id')).toBe('5551234');
      expect(renewBody.get('exp-date')).toBe(String(Date.UTC(2027, 10, 30) / 1000));
    });

    it('reads details (expiry from endtime, lock, privacy, nameservers); an unknown domain is null', async () => {
      nock(LB)
        .get('/api/domains/details-by-name.json')
        .query((q) => q['domain-name'] === 'ada-example.com' && q.options === 'All')
        .reply(200, lbDetails('ada-example.com'))
        .get('/api/domains/details-by-name.json')
        .query((q) => q['domain-name'] === 'nothing.com')
        .reply(500, { status: 'ERROR', message: "Website doesn't exist for nothing.com" });
      expect(await rc().info('ada-example.com')).toEqual({
        domain: 'ada-example.com',
        ref: '5551234',
        status: 'active',
        expiresAt: new Date(1827536000 * 1000).toISOString(),
        nameservers: ['ns1.acme-hosting.test', 'ns2.acme-hosting.test'],
        locked: true,
        privacy: true,
      });
      expect(await rc().info('nothing.com')).toBeNull();
    });

    it('polls a transfer through the order details: pending, then completed; a deleted order is cancelled', async () => {
      nock(LB)
        .get('/api/domains/details.json')
        .query((q) => q['order-id'] === '777')
        .reply(200, lbDetails('moving.com', { orderid: '777', currentstatus: 'InActive' }))
        .get('/api/domains/details.json')
        .query((q) => q['order-id'] === '777')
        .reply(200, lbDetails('moving.com', { orderid: '777', currentstatus: 'Active' }))
        .get('/api/domains/details.json')
        .query((q) => q['order-id'] === '778')
        .reply(200, lbDetails('gone.com', { orderid: '778', currentstatus: 'Deleted' }));
      expect(await rc().transferStatus('moving.com', '777')).toBe('pending');
      expect(await rc().transferStatus('moving.com', '777')).toBe('completed');
      expect(await rc().transferStatus('gone.com', '778')).toBe('cancelled');
    });

    it('reads an authentication refusal (message or HTTP 403) as auth, for staff to fix', async () => {
      nock(LB).get('/api/billing/reseller-balance.json').query(true).reply(200, {
        status: 'ERROR',
        message: 'Authentication Failed: invalid auth-userid or api-key, or this IP address is not allowed',
      });
      expect((await failureOf(rc().testConnection())).kind).toBe('auth');
      nock(LB).get('/api/billing/reseller-balance.json').query(true).reply(403, 'Forbidden');
      expect((await failureOf(rc().testConnection())).kind).toBe('auth');
    });

    it('replaces contacts with a new contact of the customer, and adds then re-addresses a child host', async () => {
      let modify = new URLSearchParams();
      const cnsCalls: URLSearchParams[] = [];
      nock(LB)
        .get('/api/customers/details.json')
        .query(true)
        .reply(200, { customerid: '23456' })
        .post('/api/contacts/add.json')
        .reply(200, '98766')
        .post('/api/domains/modify-contact.json', (b: unknown) => {
          modify = formOf(b);
          return true;
        })
        .reply(200, lbAction('5551234', 'ModContact'))
        .get('/api/domains/details.json')
        .query((q) => q['order-id'] === '5551234')
        .reply(200, lbDetails('ada-example.com'))
        .post('/api/domains/add-cns.json', (b: unknown) => {
          cnsCalls.push(formOf(b));
          return true;
        })
        .reply(200, lbAction('5551234', 'AddCns'))
        .get('/api/domains/details.json')
        .query((q) => q['order-id'] === '5551234')
        .reply(200, lbDetails('ada-example.com', { cns: { 'ns1.ada-example.com': ['192.0.2.53'] } }))
        .post('/api/domains/modify-cns-ip.json', (b: unknown) => {
          cnsCalls.push(formOf(b));
          return true;
        })
        .reply(200, lbAction('5551234', 'ModCnsIp'));
      await rc().setContacts('ada-example.com', '5551234', registrant);
      expect(modify.get('reg-contact-id')).toBe('98766');
      expect(modify.get('billing-contact-id')).toBe('98766');
      await rc().setChildHost('ada-example.com', '5551234', 'ns1.ada-example.com', ['192.0.2.53']);
      await rc().setChildHost('ada-example.com', '5551234', 'ns1.ada-example.com', ['192.0.2.54']);
      expect(cnsCalls.map((c) => [c.get('cns'), c.getAll('ip'), c.get('old-ip'), c.get('new-ip')])).toEqual([
        ['ns1.ada-example.com', ['192.0.2.53'], null, null],
        ['ns1.ada-example.com', [], '192.0.2.53', '192.0.2.54'],
      ]);
    });

    it('reports a registration with no answer in time as a timeout (the caller reads state next)', async () => {
      const silent = await silentServer();
      try {
        nock.enableNetConnect();
        const adapter = rc(silent.url, 100);
        const err = await failureOf(adapter.eppCode('ada-example.com', '5551234'));
        expect(err.kind).toBe('timeout');
      } finally {
        await silent.close();
      }
    });
  });

  describe('Namecheap', () => {
    const NC = 'https://api.sandbox.namecheap.com';
    const nc = (endpoint = NC, timeoutMs = 2_000) =>
      namecheapAdapter(
        {
          accountId: newId(),
          registrar: 'namecheap',
          endpoint,
          credentials: {
            apiUser: 'apiuser',
            apiKey: 'NC-KEY-123456',
            userName: 'apiuser',
            clientIp: '203.0.113.7',
          },
        },
        http,
        timeoutMs,
      );
    const command = (name: string) => (b: unknown) => {
      const p = formOf(b);
      return (
        p.get('Command') === name && p.get('ApiUser') === 'apiuser' && p.get('ClientIp') === '203.0.113.7'
      );
    };

    it('checks availability, keeping the rows of a partial error and the reason for the rest', async () => {
      nock(NC)
        .post('/xml.response', command('namecheap.domains.check'))
        .reply(
          200,
          ncResponse(
            'namecheap.domains.check',
            `<DomainCheckResult Domain="free.com" Available="true" ErrorNo="0" Description="" IsPremiumName="false" PremiumRegistrationPrice="0" />
             <DomainCheckResult Domain="gold.com" Available="true" ErrorNo="0" Description="" IsPremiumName="true" PremiumRegistrationPrice="1200.0000" />
             <DomainCheckResult Domain="taken.com" Available="false" ErrorNo="0" Description="" IsPremiumName="false" />`,
            [['2030280', 'TLD is not supported in API: bad.notatld']],
          ),
          { 'content-type': 'text/xml' },
        );
      expect(await nc().check(['free.com', 'gold.com', 'taken.com', 'bad.notatld'])).toEqual([
        { domain: 'free.com', available: true, premium: false },
        { domain: 'gold.com', available: true, premium: true },
        { domain: 'taken.com', available: false, premium: false },
        {
          domain: 'bad.notatld',
          available: null,
          premium: false,
          reason: expect.stringContaining('2030280'),
        },
      ]);
    });

    it('registers with four contact blocks and reads DomainCreateResult', async () => {
      let sent = new URLSearchParams();
      nock(NC)
        .post('/xml.response', (b: unknown) => {
          sent = formOf(b);
          return command('namecheap.domains.create')(b);
        })
        .reply(
          200,
          ncResponse(
            'namecheap.domains.create',
            '<DomainCreateResult Domain="ada-example.com" Registered="true" ChargedAmount="20.3600" DomainID="9007" OrderID="196074" TransactionID="380716" WhoisguardEnable="true" NonRealTimeDomain="false" />',
          ),
        );
      expect(await nc().register(registration)).toEqual({ ref: '9007' });
      for (const p of ['Registrant', 'Tech', 'Admin', 'AuxBilling'])
        expect([p, sent.get(`${p}Phone`), sent.get(`${p}Country`)]).toEqual([p, '+44.2071234567', 'GB']);
      expect(sent.get('Nameservers')).toBe('ns1.acme-hosting.test,ns2.acme-hosting.test');
      expect(sent.get('Years')).toBe('2');
    });

    it('reads Errors/Error@Number: a refusal, an unknown domain (null), an auth failure', async () => {
      nock(NC)
        .post('/xml.response', command('namecheap.domains.create'))
        .reply(
          200,
          ncResponse('namecheap.domains.create', '', [
            ['2033409', 'Possible logical error in authentication phase'],
          ]),
        );
      expect(await failureOf(nc().register(registration))).toEqual({
        kind: 'rejected',
        message: 'Namecheap 2033409: Possible logical error in authentication phase',
      });
      nock(NC)
        .post('/xml.response', command('namecheap.domains.getInfo'))
        .reply(200, ncResponse('namecheap.domains.getInfo', '', [['2019166', 'Domain not found']]));
      expect(await nc().info('nothing.com')).toBeNull();
      nock(NC)
        .post('/xml.response', command('namecheap.users.getBalances'))
        .reply(
          200,
          ncResponse('namecheap.users.getBalances', '', [
            ['1011102', 'API Key is invalid or API access has not been enabled'],
          ]),
        );
      expect((await failureOf(nc().testConnection())).kind).toBe('auth');
    });

    it('reads getInfo (expiry, nameservers, WhoisGuard) and the registrar lock', async () => {
      nock(NC)
        .post('/xml.response', command('namecheap.domains.getInfo'))
        .reply(200, ncResponse('namecheap.domains.getInfo', ncGetInfo('ada-example.com')))
        .post('/xml.response', command('namecheap.domains.getRegistrarLock'))
        .reply(
          200,
          ncResponse(
            'namecheap.domains.getRegistrarLock',
            '<DomainGetRegistrarLockResult Domain="ada-example.com" RegistrarLockStatus="true" />',
          ),
        );
      expect(await nc().info('ada-example.com')).toEqual({
        domain: 'ada-example.com',
        ref: '57582',
        status: 'active',
        expiresAt: '2027-11-30T00:00:00.000Z',
        nameservers: ['ns1.acme-hosting.test', 'ns2.acme-hosting.test'],
        locked: true,
        privacy: true,
      });
    });

    it('polls a transfer by its id to completed and to failed', async () => {
      const status = (s: string) =>
        ncResponse(
          'namecheap.domains.transfer.getStatus',
          `<DomainTransferGetStatusResult TransferID="1234" Status="${s}" StatusID="5" />`,
        );
      nock(NC)
        .post('/xml.response', command('namecheap.domains.transfer.getStatus'))
        .reply(200, status('Awaiting EPP code'))
        .post('/xml.response', command('namecheap.domains.transfer.getStatus'))
        .reply(200, status('Completed'))
        .post('/xml.response', command('namecheap.domains.transfer.getStatus'))
        .reply(200, status('Failed: invalid EPP/authorization key'));
      expect(await nc().transferStatus('moving.com', '1234')).toBe('pending');
      expect(await nc().transferStatus('moving.com', '1234')).toBe('completed');
      expect(await nc().transferStatus('moving.com', '1234')).toBe('failed');
    });

    it('sets contacts (four blocks) and creates a private nameserver, updating it when it exists', async () => {
      let contacts = new URLSearchParams();
      let update = new URLSearchParams();
      nock(NC)
        .post('/xml.response', (b: unknown) => {
          contacts = formOf(b);
          return command('namecheap.domains.setContacts')(b);
        })
        .reply(
          200,
          ncResponse(
            'namecheap.domains.setContacts',
            '<DomainSetContactResult Domain="ada-example.com" IsSuccess="true" />',
          ),
        )
        .post('/xml.response', command('namecheap.domains.ns.create'))
        .reply(200, ncResponse('namecheap.domains.ns.create', '', [['2030166', 'Nameserver already exists']]))
        .post('/xml.response', command('namecheap.domains.ns.getInfo'))
        .reply(
          200,
          ncResponse(
            'namecheap.domains.ns.getInfo',
            '<DomainNSInfoResult Domain="ada-example.com" Nameserver="ns1.ada-example.com" IP="192.0.2.53"><NameserverStatuses><Status>ok</Status></NameserverStatuses></DomainNSInfoResult>',
          ),
        )
        .post('/xml.response', (b: unknown) => {
          update = formOf(b);
          return command('namecheap.domains.ns.update')(b);
        })
        .reply(
          200,
          ncResponse(
            'namecheap.domains.ns.update',
            '<DomainNSUpdateResult Domain="ada-example.com" Nameserver="ns1.ada-example.com" IsSuccess="true" />',
          ),
        );
      await nc().setContacts('ada-example.com', null, registrant);
      expect([contacts.get('RegistrantFirstName'), contacts.get('AuxBillingEmailAddress')]).toEqual([
        'Ada',
        'ada@example.com',
      ]);
      await nc().setChildHost('ada-example.com', null, 'ns1.ada-example.com', ['192.0.2.54']);
      expect([update.get('SLD'), update.get('TLD'), update.get('OldIP'), update.get('IP')]).toEqual([
        'ada-example',
        'com',
        '192.0.2.53',
        '192.0.2.54',
      ]);
    });

    it('reads hosts and sets them all in one numbered setHosts call', async () => {
      let sent = new URLSearchParams();
      nock(NC)
        .post('/xml.response', command('namecheap.domains.dns.getHosts'))
        .reply(
          200,
          ncResponse(
            'namecheap.domains.dns.getHosts',
            `<DomainDNSGetHostsResult Domain="ada-example.com" EmailType="MX" IsUsingOurDNS="true">
               <host HostId="1" Name="@" Type="A" Address="192.0.2.10" MXPref="10" TTL="1800" />
               <host HostId="2" Name="@" Type="MX" Address="mail.ada-example.com" MXPref="5" TTL="1800" />
               <host HostId="3" Name="www" Type="URL" Address="http://ada-example.com" MXPref="10" TTL="1800" />
             </DomainDNSGetHostsResult>`,
          ),
        )
        .post('/xml.response', (b: unknown) => {
          sent = formOf(b);
          return command('namecheap.domains.dns.setHosts')(b);
        })
        .reply(
          200,
          ncResponse(
            'namecheap.domains.dns.setHosts',
            '<DomainDNSSetHostsResult Domain="ada-example.com" IsSuccess="true" />',
          ),
        );
      expect(await nc().dnsRecords('ada-example.com', null)).toEqual([
        { type: 'A', host: '@', answer: '192.0.2.10', ttl: 1800, priority: null },
        { type: 'MX', host: '@', answer: 'mail.ada-example.com', ttl: 1800, priority: 5 },
      ]);
      await nc().setDnsRecords('ada-example.com', null, [
        { type: 'A', host: '@', answer: '192.0.2.11', ttl: 300, priority: null },
        { type: 'MX', host: '@', answer: 'mail.ada-example.com', ttl: 3600, priority: 10 },
      ]);
      expect([
        sent.get('SLD'),
        sent.get('HostName1'),
        sent.get('Address1'),
        sent.get('RecordType2'),
        sent.get('MXPref2'),
        sent.get('EmailType'),
      ]).toEqual(['ada-example', '@', '192.0.2.11', 'MX', '10', 'MX']);
    });

    it('finds a transfer without its id (an order whose answer never came) in the transfer list', async () => {
      nock(NC)
        .post(
          '/xml.response',
          (b: unknown) =>
            command('namecheap.domains.transfer.getList')(b) && formOf(b).get('SearchTerm') === 'moving.com',
        )
        .reply(
          200,
          ncResponse(
            'namecheap.domains.transfer.getList',
            `<TransferGetListResult>
               <Transfer ID="1234" DomainName="moving.com" User="apiuser" TransferDate="11/30/2026" OrderID="5678" StatusID="0" Status="Awaiting EPP code" StatusDate="11/30/2026" StatusDescription="" />
             </TransferGetListResult>`,
          ),
        )
        .post('/xml.response', command('namecheap.domains.transfer.getList'))
        .reply(200, ncResponse('namecheap.domains.transfer.getList', '<TransferGetListResult />'));
      expect(await nc().transferStatus('moving.com', null)).toBe('pending');
      expect((await failureOf(nc().transferStatus('never-ordered.com', null))).kind).toBe('not_found');
    });

    it('has no EPP code through the API: a refusal staff can read', async () => {
      expect(await failureOf(nc().eppCode('ada-example.com', null))).toMatchObject({ kind: 'rejected' });
    });
  });

  describe('Name.com', () => {
    const NAMECOM = 'https://api.dev.name.com';
    const AUTH = {
      reqheaders: { authorization: `Basic ${Buffer.from('reseller:NAMECOM-TOKEN').toString('base64')}` },
    };
    const ncm = (endpoint = NAMECOM, timeoutMs = 2_000) =>
      namecomAdapter(
        {
          accountId: newId(),
          registrar: 'namecom',
          endpoint,
          credentials: { username: 'reseller', token: 'NAMECOM-TOKEN' },
        },
        http,
        timeoutMs,
      );

    it('checks availability and registers with HTTP Basic and JSON', async () => {
      let sent: any;
      nock(NAMECOM, AUTH)
        .post('/v4/domains:checkAvailability', { domainNames: ['free.com', 'taken.com'] })
        .reply(200, {
          results: [
            {
              domainName: 'free.com',
              sld: 'free',
              tld: 'com',
              purchasable: true,
              purchasePrice: 12.99,
              purchaseType: 'registration',
              renewalPrice: 12.99,
            },
            { domainName: 'taken.com', sld: 'taken', tld: 'com' },
          ],
        })
        .post('/v4/domains', (b: unknown) => {
          sent = b;
          return true;
        })
        .reply(200, {
          domain: { domainName: 'ada-example.com', expireDate: '2028-11-30T10:00:00Z' },
          order: 4242,
          totalPaid: 25.98,
        });
      expect(await ncm().check(['free.com', 'taken.com'])).toEqual([
        { domain: 'free.com', available: true, premium: false },
        { domain: 'taken.com', available: false, premium: false },
      ]);
      await ncm().register(registration);
      expect(sent).toMatchObject({
        years: 2,
        domain: {
          domainName: 'ada-example.com',
          nameservers: registration.nameservers,
          privacyEnabled: true,
        },
      });
      expect(sent.domain.contacts.registrant).toMatchObject({
        firstName: 'Ada',
        zip: 'SW1Y 4JH',
        phone: '+44.2071234567',
      });
    });

    it('reads HTTP errors: 401 auth, 400 a refusal with its details, 404 an unknown domain, 5xx unavailable', async () => {
      nock(NAMECOM).get('/v4/hello').reply(401, { message: 'Unauthenticated' });
      expect((await failureOf(ncm().testConnection())).kind).toBe('auth');
      nock(NAMECOM)
        .post('/v4/domains/ada-example.com:renew')
        .reply(400, { message: 'Invalid Argument', details: 'Domain is not eligible for renewal' });
      expect(await failureOf(ncm().renew('ada-example.com', null, 1, '2027-11-30T00:00:00Z'))).toEqual({
        kind: 'rejected',
        message: 'Name.com: Invalid Argument: Domain is not eligible for renewal',
      });
      nock(NAMECOM).get('/v4/domains/nothing.com').reply(404, { message: 'Not Found' });
      expect(await ncm().info('nothing.com')).toBeNull();
      nock(NAMECOM).get('/v4/domains/ada-example.com:getAuthCode').reply(503, 'upstream unavailable');
      expect((await failureOf(ncm().eppCode('ada-example.com', null))).kind).toBe('unavailable');
    });

    it('reads a domain and its transfer status', async () => {
      nock(NAMECOM)
        .get('/v4/domains/ada-example.com')
        .reply(200, {
          domainName: 'ada-example.com',
          nameservers: ['NS1.NAME.COM', 'ns2.name.com'],
          privacyEnabled: true,
          locked: false,
          autorenewEnabled: false,
          expireDate: '2099-11-30T10:00:00Z',
          createDate: '2026-11-30T10:00:00Z',
        })
        .get('/v4/transfers/moving.com')
        .reply(200, { domainName: 'moving.com', email: 'ada@example.com', status: 'pending_unlock' });
      expect(await ncm().info('ada-example.com')).toEqual({
        domain: 'ada-example.com',
        ref: null,
        status: 'active',
        expiresAt: '2099-11-30T10:00:00.000Z',
        nameservers: ['ns1.name.com', 'ns2.name.com'],
        locked: false,
        privacy: true,
      });
      expect(await ncm().transferStatus('moving.com', null)).toBe('pending');
    });

    it('reports no answer in time as a timeout', async () => {
      const silent = await silentServer();
      try {
        nock.enableNetConnect();
        expect((await failureOf(ncm(silent.url, 100).register(registration))).kind).toBe('timeout');
      } finally {
        await silent.close();
      }
    });
  });
});
