import { compileErrors, validate } from '@readme/openapi-parser';
import { ConfigError, loadConfig, sharedServiceConfig } from '@geminis/service-kit';
import { supportConfigFrom, supportConfigShape } from '../src/config';
import { client, startSupport, type Harness } from './support/support';

/** What support tells the gateway about itself, and the configuration it starts with. */
describe('support API document and configuration', () => {
  let h: Harness;
  let doc: any;

  beforeAll(async () => {
    h = await startSupport();
    doc = (await client(h.url).get('/openapi.json')).body;
  }, 60_000);
  afterAll(() => h?.stop());

  const routes = () => h.running.built.routes.flatMap((r) => r.list());

  it('is a valid OpenAPI 3.1 document once given what the gateway adds (the Problem schema, bearer auth)', async () => {
    const whole = {
      ...structuredClone(doc),
      components: {
        schemas: { Problem: { type: 'object', properties: { code: { type: 'string' } } } },
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    };
    const result = await validate(whole as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it('declares the success answers of every route', () => {
    expect(routes().filter((r) => Object.keys(r.responses ?? {}).length === 0)).toEqual([]);
  });

  it('serves every route to authenticated roles only, except mail piping which is for services (nothing public)', () => {
    const internal = routes().filter((r) => r.path.startsWith('/internal/'));
    expect(internal.map((r) => [r.method, r.path, r.access])).toEqual([
      ['POST', '/internal/v1/support/inbound-mail', 'service'],
    ]);
    const rest = routes().filter((r) => !r.path.startsWith('/internal/'));
    expect(rest.filter((r) => typeof r.access !== 'object')).toEqual([]);
    expect(rest.every((r) => r.path.startsWith('/v1/support/'))).toBe(true);
  });

  it('keeps internal notes to staff: only admins and resellers may write them', () => {
    const notes = routes().find((r) => r.path === '/v1/support/tickets/:id/notes');
    expect(notes?.access).toEqual({ roles: ['admin', 'reseller'] });
  });

  it('refuses a mail server URL that is not SMTP, by name', () => {
    const base = { DATABASE_URL: 'postgres://x@localhost/db', AMQP_URL: 'amqp://localhost' };
    expect(() =>
      loadConfig(
        { ...sharedServiceConfig, ...supportConfigShape },
        { ...base, SUPPORT_SMTP_URL: 'http://mail.example' },
      ),
    ).toThrow(/SUPPORT_SMTP_URL/);
  });

  it('requires the reply-address secret in production mode', () => {
    const base = { DATABASE_URL: 'postgres://x@localhost/db', AMQP_URL: 'amqp://localhost' };
    expect(() =>
      loadConfig({ ...sharedServiceConfig, ...supportConfigShape }, { ...base, GEMINIS_MODE: 'production' }),
    ).toThrow(/SUPPORT_REPLY_SECRET: required in production mode/);
  });

  it('keeps templates, mail logs and webhooks to staff', () => {
    const staffOnly = routes().filter(
      (r) =>
        r.path.startsWith('/v1/support/notification-templates') ||
        r.path === '/v1/support/mail-log' ||
        r.path.startsWith('/v1/support/webhooks'),
    );
    expect(staffOnly.length).toBe(13);
    expect(
      staffOnly.every((r) => JSON.stringify(r.access) === JSON.stringify({ roles: ['admin', 'reseller'] })),
    ).toBe(true);
  });

  it('lets only clients rate a ticket', () => {
    const rate = routes().find((r) => r.path === '/v1/support/tickets/:id/rating' && r.method === 'PUT');
    expect(rate?.access).toEqual({ roles: ['client'] });
  });

  it('reads SUPPORT_AUTO_CLOSE_DAYS (default 7) and reports a bad value by name', () => {
    const base = { DATABASE_URL: 'postgres://x@localhost/db', AMQP_URL: 'amqp://localhost' };
    const ok = loadConfig({ ...sharedServiceConfig, ...supportConfigShape }, base);
    expect(supportConfigFrom(ok.config, ok.config)).toMatchObject({
      autoCloseDays: 7,
      identityUrl: 'http://127.0.0.1:4001',
      mail: { smtpUrl: undefined, dir: '.data/mail', from: 'no-reply@geminis.localhost' },
      reply: { domain: 'reply.geminis.localhost', validDays: 180 },
    });
    // the reply-address key is a secret: generated in embedded mode, required in production
    expect(ok.generated).toContain('SUPPORT_REPLY_SECRET');
    try {
      loadConfig(
        { ...sharedServiceConfig, ...supportConfigShape },
        { ...base, SUPPORT_AUTO_CLOSE_DAYS: '-1' },
      );
      throw new Error('loaded');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(/SUPPORT_AUTO_CLOSE_DAYS/);
    }
  });
});
