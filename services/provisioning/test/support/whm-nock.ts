import nock from 'nock';
import { whmAcct, whmCreated, whmFail, whmOk } from './panel-fixtures';

/** nock interceptors for one WHM host, each answering like WHM API 1 (see panel-fixtures). */
export function whmNock(host: string, token: string) {
  const base = () => nock(`https://${host}:2087`, { reqheaders: { authorization: `whm root:${token}` } });
  const lookup = {
    'api.version': '1',
    searchtype: 'user',
    searchmethod: 'exact',
    want: 'user,domain,plan,suspended',
  };
  return {
    listaccts: (user: string, acct?: { domain: string; suspended?: number }) =>
      base()
        .get('/json-api/listaccts')
        .query({ ...lookup, search: user })
        .reply(
          200,
          whmOk('listaccts', { acct: acct ? [whmAcct(user, acct.domain, acct.suspended ?? 0)] : [] }),
        ),
    createacct: (onBody?: (body: Record<string, string>) => void) =>
      base()
        .post('/json-api/createacct', (body: Record<string, string>) => {
          onBody?.(body);
          return true;
        })
        .query({ 'api.version': '1' })
        .reply(200, whmCreated()),
    createFails: (reason: string) =>
      base()
        .post('/json-api/createacct')
        .query({ 'api.version': '1' })
        .reply(200, whmFail('createacct', reason)),
    call: (fn: 'suspendacct' | 'unsuspendacct' | 'removeacct', params: Record<string, string>) =>
      base()
        .get(`/json-api/${fn}`)
        .query({ 'api.version': '1', ...params })
        .reply(200, whmOk(fn)),
  };
}
