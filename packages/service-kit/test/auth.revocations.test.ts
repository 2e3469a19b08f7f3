import express from 'express';
import { createRevocationList, createTokenVerifier, refusingRevoked } from '../src/auth';
import { listen, SERVICE_KEY_HEADER, type ListeningServer } from '../src/http';
import { newId } from '../src/ids';
import { createTestIssuer } from '../src/testing/tokens';

/** The revocation feed every service shares with the gateway: identity's list, refreshed while running. */
describe('revocation list', () => {
  const KEY = 'service-key-for-revocations-0123456789';
  const items: { kind: string; id: string; at: string }[] = [];
  let identity: ListeningServer;
  const issuer = createTestIssuer();
  const base = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });

  beforeAll(async () => {
    const app = express();
    app.get('/internal/v1/revocations', (req, res) => {
      if (req.headers[SERVICE_KEY_HEADER] !== KEY) return void res.status(401).end();
      const since = Date.parse(typeof req.query.since === 'string' ? req.query.since : '');
      res.json({ items: items.filter((i) => Date.parse(i.at) >= since) });
    });
    identity = await listen(app, 0);
  });
  afterAll(() => identity.close());

  it('refuses every token of a revoked session, and tokens of a revoked user issued before, with 401', async () => {
    const list = createRevocationList({
      windowMs: 900_000,
      identityUrl: identity.url,
      serviceKey: KEY,
      refreshMs: 50,
    });
    try {
      const tenant = newId();
      const sid = newId();
      const user = newId();
      const inSession = issuer.sign({ sub: user, tid: tenant, role: 'client', sid });
      const otherSession = issuer.sign({ sub: user, tid: tenant, role: 'client', sid: newId() });
      const verifier = refusingRevoked(base, list);
      await list.loadUntilDone();
      expect(list.ready).toBe(true);
      expect((await verifier.verify(inSession)).sessionId).toBe(sid);

      // Identity ends the session after this process started: the next refresh brings it.
      items.push({ kind: 'session', id: sid, at: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 300));
      await expect(verifier.verify(inSession)).rejects.toMatchObject({ status: 401, code: 'auth.revoked' });
      expect((await verifier.verify(otherSession)).userId).toBe(user);

      // A suspended user: tokens issued before are refused, whatever their session.
      items.push({ kind: 'user', id: user, at: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 300));
      await expect(verifier.verify(otherSession)).rejects.toMatchObject({ code: 'auth.revoked' });
    } finally {
      list.close();
    }
  });

  it('is not ready until identity answered', async () => {
    const list = createRevocationList({
      windowMs: 900_000,
      identityUrl: identity.url,
      serviceKey: 'wrong-key-0123456789',
    });
    try {
      await list.loadUntilDone(60_000);
      expect(list.ready).toBe(false);
    } finally {
      list.close();
    }
  });
});
