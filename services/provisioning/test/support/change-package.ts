import { newId, tenantScope } from '@geminis/service-kit';
import nock from 'nock';
import { insertAccount, type AccountModule } from '../../src/store/accounts.store';
import { pleskCustomer, pleskOk, pleskPlan, pleskWebspace, whmAcct, whmOk } from './panel-fixtures';
import { type Harness } from './provisioning';

/** A change of package as billing sends it (ServiceChangePackageRequested). */
export const changeRequest = (
  serviceId: string,
  clientId: string,
  module: string,
  moduleConfig: Record<string, unknown>,
  over: Record<string, unknown> = {},
) => ({
  changeId: newId(),
  serviceId,
  clientId,
  invoiceId: newId(),
  fromProductId: newId(),
  toProductId: newId(),
  productName: 'Business Hosting',
  productType: 'shared_hosting',
  module,
  moduleConfig,
  cycle: 'monthly',
  ...over,
});

/** An active account on a server, as a provision job leaves it (written with the service's own store). */
export async function seedAccount(
  h: Harness,
  tenantId: string,
  a: { serverId: string; module: AccountModule; username: string; domain: string; package: string },
) {
  const scope = tenantScope(tenantId);
  return h.db.withTenant(scope, (tx) =>
    insertAccount(tx, scope, {
      id: newId(),
      serviceId: newId(),
      clientId: newId(),
      productId: newId(),
      module: a.module,
      serverId: a.serverId,
      host: 'panel.test',
      username: a.username,
      domain: a.domain,
      package: a.package,
      status: 'active',
      sealedPassword: null,
    }),
  );
}

/** WHM: the account read (listaccts, as the adapter's lookup sends it) and `changepackage`. */
export function whmChange(host: string, token: string) {
  const base = () => nock(`https://${host}:2087`, { reqheaders: { authorization: `whm root:${token}` } });
  return {
    listaccts: (user: string, domain: string, plan: string) =>
      base()
        .get('/json-api/listaccts')
        .query({
          'api.version': '1',
          search: user,
          searchtype: 'user',
          searchmethod: 'exact',
          want: 'user,domain,plan,suspended',
        })
        .reply(200, whmOk('listaccts', { acct: [whmAcct(user, domain, 0, plan)] })),
    changepackage: (user: string, pkg: string) =>
      base()
        .get('/json-api/changepackage')
        .query({ 'api.version': '1', user, pkg })
        .reply(200, {
          metadata: {
            command: 'changepackage',
            version: 1,
            result: 1,
            reason: `Account Upgrade/Downgrade Complete for ${user}`,
            output: { raw: '<pre>Changing bandwidth limit to unlimited\n</pre>' },
          },
        }),
    down: (times: number) =>
      base().get('/json-api/listaccts').query(true).times(times).reply(503, 'Service Unavailable'),
  };
}

const AGENT = '/enterprise/control/agent.php';
const op =
  (...fragments: string[]) =>
  (body: string) =>
    fragments.every((f) => body.includes(f));

const STARTER_GUID = '0b7d4c1e-2f3a-4c5d-8e9f-a0b1c2d3e4f5';

/**
 * Plesk: customer + webspace read (its subscription on the plan `from`, named through `service-plan get`
 * by guid), then, when `from` is not `plan`, the plan's guid and the subscription switch.
 */
export function pleskChange(
  host: string,
  key: string,
  login: string,
  domain: string,
  plan: string,
  from = 'Starter',
) {
  const read = nock(`https://${host}:8443`, { reqheaders: { KEY: key, 'content-type': 'text/xml' } })
    .post(AGENT, op('<customer><get>', `<login>${login}</login>`))
    .reply(200, pleskCustomer(login))
    .post(AGENT, op('<webspace><get>', `<name>${domain}</name>`, '<subscriptions/>'))
    .reply(200, pleskWebspace(domain, 0, STARTER_GUID))
    .post(AGENT, op('<service-plan><get>', `<guid>${STARTER_GUID}</guid>`))
    .reply(200, pleskPlan(from, STARTER_GUID));
  if (from === plan) return read;
  return read
    .post(AGENT, op('<service-plan><get>', `<name>${plan}</name>`))
    .reply(
      200,
      pleskOk(
        'service-plan',
        'get',
        `<id>7</id><guid>5c1b6a4e-6f3a-4b6e-9a6e-1f1b2c3d4e5f</guid><name>${plan}</name>`,
      ),
    )
    .post(
      AGENT,
      op(
        '<webspace><switch-subscription>',
        `<name>${domain}</name>`,
        '<plan-guid>5c1b6a4e-6f3a-4b6e-9a6e-1f1b2c3d4e5f</plan-guid>',
      ),
    )
    .reply(200, pleskOk('webspace', 'switch-subscription', '<id>57</id>'));
}
