import { compileErrors, validate } from '@readme/openapi-parser';
import { ConfigError, loadConfig, sharedServiceConfig } from '@geminis/service-kit';
import { billingConfigShape } from '../src/config';
import { client, startBilling, type Harness } from './support/billing';

/** What billing tells the gateway about itself, and what it refuses to start without. */
describe('billing API document and configuration', () => {
  let h: Harness;
  let doc: any;

  beforeAll(async () => {
    h = await startBilling();
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

  it('declares the success answers of every route', () => {
    const routes = h.billing.built.routes.flatMap((r) => r.list());
    expect(routes.filter((r) => Object.keys(r.responses ?? {}).length === 0)).toEqual([]);
  });

  it('never describes a gateway secret in any answer', () => {
    const answers = JSON.stringify(
      Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.responses)),
    );
    for (const secret of ['secretKey"', 'webhookSecret', 'secretKeyEnc', 'eppCode', 'epp_code'])
      expect(answers).not.toContain(secret);
  });

  it('documents the saved-card routes with their access', () => {
    const path = doc.paths['/v1/payment-methods/{clientId}'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(path.put.requestBody).toBeDefined();
  });

  it('documents the tenant report for staff with its period', () => {
    const op = doc.paths['/v1/billing-reports/summary']?.get;
    expect(op?.parameters?.map((p: { name: string }) => p.name).sort()).toEqual(['from', 'tenantId', 'to']);
  });

  it('documents the change of package with its body and its 201 answer', () => {
    const op = doc.paths['/v1/client-services/{id}/change-package']?.post;
    expect(op?.requestBody).toBeDefined();
    expect(Object.keys(op.responses)).toContain('201');
  });

  it('refuses to start in production mode without its keys, naming them', () => {
    try {
      loadConfig({ ...sharedServiceConfig, ...billingConfigShape }, { GEMINIS_MODE: 'production' });
      throw new Error('loaded');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual(
        expect.arrayContaining([
          'BILLING_ENCRYPTION_KEY: required in production mode',
          'INTERNAL_SERVICE_KEY: required in production mode',
        ]),
      );
    }
  });
});
