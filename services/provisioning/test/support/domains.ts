import { newId } from '@geminis/service-kit';
import { waitFor } from './jobs';
import { type Client, type Harness } from './provisioning';

export const REGISTER = 'billing.domain.register_requested.v1';
export const TRANSFER = 'billing.domain.transfer_requested.v1';
export const RENEW = 'billing.domain.renew_requested.v1';

export const registrant = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  organization: 'Analytical Engines Ltd',
  email: 'ada@example.com',
  phone: '+44.2071234567',
  address1: "12 St James's Square",
  city: 'London',
  state: 'Greater London',
  postcode: 'SW1Y 4JH',
  country: 'GB',
};

/** A register request as billing sends it (the contracts fixture's shape). */
export const registerRequest = (domain: string, over: Record<string, unknown> = {}) => ({
  domainServiceId: newId(),
  orderId: newId(),
  invoiceId: newId(),
  client: { clientId: newId(), email: 'ada@example.com', name: 'Ada Client' },
  domain,
  tld: domain.slice(domain.indexOf('.')),
  years: 1,
  nameservers: ['ns1.acme-hosting.test', 'ns2.acme-hosting.test'],
  privacy: true,
  registrant,
  ...over,
});

export const renewRequest = (r: ReturnType<typeof registerRequest>, years = 1, invoiceId = newId()) => ({
  domainServiceId: r.domainServiceId,
  invoiceId,
  clientId: r.client.clientId,
  domain: r.domain,
  years,
});

/** Runs the domain jobs until `done` holds (never a fixed sleep). */
export const runDomainJobsUntil = (
  h: Harness,
  done: () => Promise<boolean>,
  what = 'the domain jobs to settle',
) =>
  waitFor(async () => {
    await h.running.built.services.domainRunner.runDue();
    return done();
  }, what);

/** A Name.com account of the caller's tenant at `endpoint`, the registrar of `tlds`. */
export async function namecomAccount(
  api: Client,
  token: string,
  endpoint: string,
  tlds: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await api.post(
    '/v1/registrars/accounts',
    {
      name: `namecom-${newId().slice(-8)}`,
      registrar: 'namecom',
      endpoint,
      credentials: { username: 'reseller', token: 'NAMECOM-TOKEN-123456' },
      ...extra,
    },
    token,
  );
  if (res.status !== 201) throw new Error(`account: ${res.status} ${JSON.stringify(res.body)}`);
  for (const tld of tlds) {
    const t = await api.put(
      `/v1/registrars/tlds/${encodeURIComponent(tld)}`,
      { accountId: res.body.id },
      token,
    );
    if (t.status !== 200) throw new Error(`tld: ${t.status} ${JSON.stringify(t.body)}`);
  }
  return res.body.id as string;
}
