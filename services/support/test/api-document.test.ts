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

  it('serves every route to authenticated roles only (nothing public, nothing service-only)', () => {
    expect(routes().filter((r) => typeof r.access !== 'object')).toEqual([]);
    expect(routes().every((r) => r.path.startsWith('/v1/support/'))).toBe(true);
  });

  it('keeps internal notes to staff: only admins and resellers may write them', () => {
    const notes = routes().find((r) => r.path === '/v1/support/tickets/:id/notes');
    expect(notes?.access).toEqual({ roles: ['admin', 'reseller'] });
  });

  it('reads SUPPORT_AUTO_CLOSE_DAYS (default 7) and reports a bad value by name', () => {
    const base = { DATABASE_URL: 'postgres://x@localhost/db', AMQP_URL: 'amqp://localhost' };
    const ok = loadConfig({ ...sharedServiceConfig, ...supportConfigShape }, base);
    expect(supportConfigFrom(ok.config, ok.config)).toEqual({ autoCloseDays: 7 });
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
