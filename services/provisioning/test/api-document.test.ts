import { compileErrors, validate } from '@readme/openapi-parser';
import { baseConfig, loadConfig, ConfigError } from '@geminis/service-kit';
import { provisioningConfigShape } from '../src/config';
import { client, startProvisioning, type Harness } from './support/provisioning';

/** What provisioning tells the gateway about itself, and what it refuses to start without. */
describe('provisioning API document and configuration', () => {
  let h: Harness;
  let doc: any;

  beforeAll(async () => {
    h = await startProvisioning();
    doc = (await client(h.url).get('/openapi.json')).body;
  }, 60_000);
  afterAll(() => h?.stop(), 30_000);

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

  it('declares the success answers of every route and a body for every write but the bare actions', () => {
    const routes = h.running.built.routes.flatMap((r) => r.list());
    expect(routes.filter((r) => Object.keys(r.responses ?? {}).length === 0)).toEqual([]);
    const withoutBody = routes
      .filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.body)
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    expect(withoutBody).toEqual([
      'POST /v1/callbacks/registrars/:registrar/:account',
      'POST /v1/domains/:id/epp-code',
      'POST /v1/domains/jobs/:id/retry',
      'POST /v1/provisioning/accounts/:id/login-url',
      'POST /v1/provisioning/accounts/:id/password',
      'POST /v1/provisioning/jobs/:id/retry',
      'POST /v1/registrars/accounts/:id/test-connection',
      'POST /v1/servers/:id/test-connection',
    ]);
  });

  it('lists a change of package among the actions of a job', () => {
    const job =
      doc.paths['/v1/provisioning/jobs/{id}'].get.responses['200'].content['application/json'].schema;
    expect(JSON.stringify(job)).toContain('"change_package"');
  });

  it("documents an account's usage (bytes, when read)", () => {
    const usage =
      doc.paths['/v1/provisioning/accounts/{id}/usage'].get.responses['200'].content['application/json']
        .schema;
    expect(Object.keys(usage.properties).sort()).toEqual(['bandwidthBytes', 'diskBytes', 'measuredAt']);
  });

  it('never describes a server credential in any answer', () => {
    const answers = JSON.stringify(
      Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.responses)),
    );
    for (const secret of [
      'apiToken',
      'secretKey',
      'loginKey',
      '"credentials"',
      'apiKey',
      '"webhookSecret"',
      '"token"',
    ])
      expect(answers).not.toContain(secret);
  });

  it('refuses to start in production mode without its encryption key, naming it', () => {
    expect(() =>
      loadConfig({ ...baseConfig, ...provisioningConfigShape }, { GEMINIS_MODE: 'production' }),
    ).toThrow(ConfigError);
    try {
      loadConfig({ ...baseConfig, ...provisioningConfigShape }, { GEMINIS_MODE: 'production' });
    } catch (err) {
      expect((err as ConfigError).problems).toContain(
        'PROVISIONING_ENCRYPTION_KEY: required in production mode',
      );
    }
    const short = () =>
      loadConfig(
        { ...baseConfig, ...provisioningConfigShape },
        {
          GEMINIS_MODE: 'production',
          PROVISIONING_ENCRYPTION_KEY: 'short',
        },
      );
    expect(short).toThrow(/PROVISIONING_ENCRYPTION_KEY/);
  });
});
