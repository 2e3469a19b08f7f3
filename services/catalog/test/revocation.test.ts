import express from 'express';
import { listen, newId, SERVICE_KEY_HEADER, type ListeningServer } from '@geminis/service-kit';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { client, PLATFORM_TENANT_ID, startCatalog, type Harness } from './support/catalog';

/** A revoked session's access token is refused by catalog itself, not only by the gateway. */
describe('catalog refuses revoked access tokens', () => {
  const KEY = 'catalog-revocations-service-key-0123456789';
  const issuer = createTestIssuer();
  const revoked: { kind: string; id: string; at: string }[] = [];
  let identity: ListeningServer;
  let h: Harness;

  beforeAll(async () => {
    // Identity as catalog sees it: its keys and its revocation feed.
    const app = express();
    app.get('/.well-known/jwks.json', (_req, res) => {
      res.json(issuer.jwks);
    });
    app.get('/internal/v1/revocations', (req, res) => {
      if (req.headers[SERVICE_KEY_HEADER] !== KEY) return void res.status(401).end();
      res.json({ items: revoked });
    });
    identity = await listen(app, 0);
    h = await startCatalog({
      revocations: {
        identityUrl: identity.url,
        serviceKey: KEY,
        jwksUri: `${identity.url}/.well-known/jwks.json`,
        issuer: issuer.issuer,
        audience: issuer.audience,
        refreshMs: 50,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await h.stop();
    await identity.close();
  });

  it('answers 401 to a token of a session identity ended, and keeps serving the other sessions', async () => {
    const api = client(h.url);
    const user = newId();
    const sid = newId();
    const ended = issuer.sign({ sub: user, role: 'admin', tid: PLATFORM_TENANT_ID, sid });
    const other = issuer.sign({ sub: user, role: 'admin', tid: PLATFORM_TENANT_ID, sid: newId() });
    expect((await api.get('/v1/products', ended)).status).toBe(200);
    revoked.push({ kind: 'session', id: sid, at: new Date().toISOString() });
    let status = 200;
    for (let i = 0; i < 60 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await api.get('/v1/products', ended)).status;
    }
    expect(status).toBe(401);
    expect((await api.get('/v1/products', other)).status).toBe(200);
  });
});
