/**
 * Panel answers shaped like the real APIs (see shared/reference/providers.md): WHM API 1 envelopes (HTTP
 * 200 even on failure, metadata.result 0/1), Plesk XML packets (<system> or per-operation <result> with
 * errcode), DirectAdmin URL-encoded answers and its HTML login page on a refused login.
 */
export const whmOk = (command: string, data?: Record<string, unknown>, reason = 'OK') => ({
  metadata: { command, version: 1, result: 1, reason, output: { raw: '' } },
  ...(data ? { data } : {}),
});

export const whmFail = (command: string, reason: string) => ({
  metadata: { command, version: 1, result: 0, reason, output: { raw: '' } },
});

export const whmAcct = (user: string, domain: string, suspended = 0, plan = 'basic') => ({
  user,
  domain,
  plan,
  suspended,
  suspendreason: suspended ? 'Overdue' : 'not suspended',
  diskused: '14M',
  owner: 'root',
});

export const whmCreated = () =>
  whmOk(
    'createacct',
    { ip: '192.0.2.10', nameserver: 'ns1.host.test', nameserver2: 'ns2.host.test', package: 'basic' },
    'Account Creation Ok',
  );

const packet = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<packet version="1.6.9.1">${inner}</packet>`;

export const pleskOk = (operator: string, operation: string, extra = '') =>
  packet(
    `<${operator}><${operation}><result><status>ok</status>${extra}</result></${operation}></${operator}>`,
  );

export const pleskFail = (operator: string, operation: string, errcode: number, errtext: string) =>
  packet(
    `<${operator}><${operation}><result><status>error</status><errcode>${errcode}</errcode><errtext>${errtext}</errtext></result></${operation}></${operator}>`,
  );

export const pleskSystemError = (errcode: number, errtext: string) =>
  packet(`<system><status>error</status><errcode>${errcode}</errcode><errtext>${errtext}</errtext></system>`);

/**
 * `webspace get` with the gen_info and subscriptions datasets, as Plesk answers it: the subscription names
 * its service plan by guid only (none for a custom subscription); its owner by id (pleskCustomer's is 12).
 */
export const pleskWebspace = (name: string, status: number, planGuid?: string, ownerId = 12) =>
  pleskOk(
    'webspace',
    'get',
    `<filter-id>${name}</filter-id><id>57</id><data><gen_info><cr_date>2026-01-05</cr_date><name>${name}</name>` +
      `<ascii-name>${name}</ascii-name><status>${status}</status><real_size>0</real_size><owner-id>${ownerId}</owner-id>` +
      `<dns_ip_address>192.0.2.30</dns_ip_address><htype>vrt_hst</htype><guid>b8e2c7a4-57aa-4f0e-9d3c-5a1e2f3b4c5d</guid>` +
      `<vendor-guid>00000000-0000-0000-0000-000000000000</vendor-guid><description></description></gen_info>` +
      `<subscriptions><subscription><locked>false</locked><synchronized>true</synchronized>` +
      (planGuid ? `<plan><plan-guid>${planGuid}</plan-guid></plan>` : '') +
      `</subscription></subscriptions></data>`,
  );

/** `service-plan get`: the plan's id, guid and name. */
export const pleskPlan = (name: string, guid: string) =>
  pleskOk(
    'service-plan',
    'get',
    `<id>7</id><guid>${guid}</guid><external-id></external-id><name>${name}</name><owner-id>1</owner-id>`,
  );

export const pleskCustomer = (login: string, email = 'a@example.com') =>
  pleskOk(
    'customer',
    'get',
    `<id>12</id><data><gen_info><login>${login}</login><email>${email}</email><status>0</status></gen_info></data>`,
  );

export const daOk = (text = 'Success') => `error=0&text=${encodeURIComponent(text)}&details=`;
export const daFail = (text: string, details = '') =>
  `error=1&text=${encodeURIComponent(text)}&details=${encodeURIComponent(details)}`;
export const daList = (items: string[]) => items.map((i) => `list[]=${encodeURIComponent(i)}`).join('&');
export const daUserConfig = (domain: string, suspended: boolean, pkg = 'basic') =>
  `domain=${domain}&suspended=${suspended ? 'yes' : 'no'}&package=${pkg}&email=a%40example.com`;
export const daLoginPage =
  '<!DOCTYPE html><html><head><title>DirectAdmin Login</title></head><body><form action="/CMD_LOGIN"></form></body></html>';
