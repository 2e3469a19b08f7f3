/**
 * The Kubernetes manifests as CI sees them: every kustomization renders with `kubectl kustomize` (kubectl
 * is on these machines; scripts/ensure-infra.sh installs it when missing) and every rendered object is
 * valid against the Kubernetes API's schemas, offline (the kubernetes-models package, in
 * test/deploy/k8s-validate.mjs). The production overlay then has what an installation needs: an Ingress
 * to the gateway with TLS by reference, PLATFORM_HOSTS, the collector, the bootstrap Job, replicas owned
 * by autoscalers, every service with its secrets, and network policies that open only what is used.
 * A broken manifest fails (the last tests break a copy and watch it fail).
 *
 * Not checked: unknown fields (the schemas accept them, as the API server does without --strict) and
 * anything a cluster decides (admission, an Ingress controller's annotations).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVICES } from '@geminis/contracts';
import { secretNames, sharedServiceConfig } from '@geminis/service-kit';
import { parseAllDocuments } from 'yaml';
import { SERVICE_ENTRIES } from '../../scripts/services';
import { gatewayConfigShape } from '../../services/gateway/src/config';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../..');
const K8S = join(ROOT, 'infra/k8s');
const PLATFORM = ['gateway', ...SERVICES.map((s) => s.name)];

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

function render(dir: string): Obj[] {
  const out = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (out.error)
    throw new Error(`kubectl is missing (scripts/ensure-infra.sh installs it): ${out.error.message}`);
  if (out.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${out.stderr}`);
  return parseAllDocuments(out.stdout).map((d) => d.toJS() as Obj);
}

function schemaProblems(objects: Obj[]): Array<{ kind: string; name: string; error: string }> {
  const out = execFileSync(process.execPath, [join(__dirname, 'k8s-validate.mjs')], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    cwd: ROOT,
  });
  return JSON.parse(out);
}

const kustomizations = (base: string) => [
  join(base, 'base'),
  join(base, 'observability'),
  ...readdirSync(join(base, 'overlays')).map((o) => join(base, 'overlays', o)),
];

describe.each(kustomizations(K8S).map((d) => [d.slice(K8S.length + 1)]))('%s', (dir) => {
  it('renders, and every object is valid against the Kubernetes schemas', () => {
    const objects = render(join(K8S, dir));
    expect(objects.length).toBeGreaterThan(0);
    expect(schemaProblems(objects)).toEqual([]);
  });
});

describe('the production overlay', () => {
  const objects = render(join(K8S, 'overlays/prod'));
  const find = (kind: string, name: string, namespace = 'geminis') =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  const config = find('ConfigMap', 'geminis-config')!;
  const examples = parseAllDocuments(readFileSync(join(K8S, 'base/secrets.example.yaml'), 'utf8')).map(
    (d) => d.toJS() as Obj,
  );
  const example = (name: string) => examples.find((s) => s.metadata.name === name);

  it('routes platform hosts and any custom domain to the gateway through an Ingress with TLS by reference', () => {
    const ingress = find('Ingress', 'geminis')!;
    expect(ingress).toBeDefined();
    const backends = ingress.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service));
    expect(backends.every((b: any) => b.name === 'gateway' && b.port.name === 'http')).toBe(true);
    expect(find('Service', 'gateway')!.spec.ports.some((p: any) => p.name === 'http')).toBe(true);
    expect(ingress.spec.rules.some((r: any) => r.host === undefined)).toBe(true); // reseller domains
    const platformHosts = config.data!.PLATFORM_HOSTS!.split(',');
    expect(platformHosts.length).toBeGreaterThan(0);
    for (const host of platformHosts) {
      expect(ingress.spec.rules.some((r: any) => r.host === host)).toBe(true);
      expect(ingress.spec.tls.some((t: any) => t.hosts.includes(host) && t.secretName)).toBe(true);
    }
  });

  it('sends traces to the collector it deploys', () => {
    const collector = find('Service', 'otel-collector', 'observability')!;
    expect(find('Deployment', 'otel-collector', 'observability')).toBeDefined();
    const endpoint = new URL(config.data!.OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(endpoint.hostname).toBe('otel-collector.observability');
    expect(collector.spec.ports.map((p: any) => String(p.port))).toContain(endpoint.port);
    expect(config.data!.OTEL_TRACES_EXPORTER).toBe('otlp');
  });

  it('runs every service from one image, each with a Service, an autoscaler owning its replicas and a budget', () => {
    const images = new Set<string>();
    for (const name of PLATFORM) {
      const deployment = find('Deployment', name)!;
      expect({ name, deployment: Boolean(deployment) }).toEqual({ name, deployment: true });
      const container = deployment.spec.template.spec.containers[0];
      images.add(container.image);
      expect(container.command).toEqual(['node', `services/${name}/src/main.js`]);
      expect(readdirSync(join(ROOT, 'services', name, 'src'))).toContain('main.ts');
      expect(find('Service', name)).toBeDefined();
      expect(find('PodDisruptionBudget', name)).toBeDefined();
      const hpa = find('HorizontalPodAutoscaler', name)!;
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
      expect({ name, replicas: deployment.spec.replicas }).toEqual({ name, replicas: undefined });
    }
    const job = find('Job', 'bootstrap-admin')!;
    images.add(job.spec.template.spec.containers[0].image);
    expect(job.spec.template.spec.containers[0].command).toEqual([
      'node',
      'services/identity/src/bootstrap-admin.js',
    ]);
    expect([...images]).toEqual(['registry.example.com/geminis:0.1.0']);
  });

  it('gives every service the secrets it declares (secrets.example.yaml) and the bootstrap Job its own', async () => {
    const declared: Record<string, string[]> = { gateway: secretNames(gatewayConfigShape) };
    for (const s of SERVICES) {
      const entry = await SERVICE_ENTRIES[s.name]!();
      declared[s.name] = [
        ...secretNames({ ...sharedServiceConfig, ...entry.config }),
        'DATABASE_URL',
        'AMQP_URL',
      ];
    }
    for (const name of PLATFORM) {
      const refs = find('Deployment', name)!
        .spec.template.spec.containers[0].envFrom.filter((e: any) => e.secretRef)
        .map((e: any) => e.secretRef.name as string);
      const keys = refs.flatMap((ref: string) => Object.keys(example(ref)?.stringData ?? {}));
      for (const variable of declared[name]!)
        expect({ name, variable, present: keys.includes(variable) }).toEqual({
          name,
          variable,
          present: true,
        });
    }
    const job = find('Job', 'bootstrap-admin')!.spec.template.spec;
    const refs = [
      ...job.containers[0].env.filter((e: any) => e.valueFrom).map((e: any) => e.valueFrom.secretKeyRef),
      ...job.volumes
        .filter((v: any) => v.secret)
        .flatMap((v: any) => v.secret.items.map((i: any) => ({ name: v.secret.secretName, key: i.key }))),
    ];
    for (const ref of refs) expect(Object.keys(example(ref.name)?.stringData ?? {})).toContain(ref.key);
  });

  it('network policies: default deny, DNS, the gateway the only way in, third parties only from provisioning, billing and support', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'geminis');
    const deny = policies.find((p) => p.metadata.name === 'default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const selects = (p: Obj, app: string) => {
      const sel = p.spec.podSelector;
      if (sel.matchLabels?.['app.kubernetes.io/name'])
        return sel.matchLabels['app.kubernetes.io/name'] === app;
      if (sel.matchLabels?.['app.kubernetes.io/part-of']) return true;
      return Object.keys(sel).length === 0;
    };
    const egress = (app: string) =>
      policies.filter((p) => selects(p, app)).flatMap((p) => p.spec.egress ?? []);
    const ingress = (app: string) =>
      policies.filter((p) => selects(p, app)).flatMap((p) => p.spec.ingress ?? []);
    for (const app of [...PLATFORM, 'bootstrap-admin']) {
      // No rule opens every port.
      for (const rule of egress(app))
        expect({ app, ports: Boolean(rule.ports?.length) }).toEqual({ app, ports: true });
      const external = egress(app).some((r: any) => (r.to ?? []).some((t: any) => t.ipBlock));
      expect({ app, external }).toEqual({
        app,
        external: ['provisioning', 'billing', 'support'].includes(app),
      });
      expect(egress(app).some((r: any) => r.ports.some((p: any) => p.port === 53))).toBe(true);
    }
    // Only the gateway accepts traffic from outside the namespace; every service accepts the gateway.
    for (const app of PLATFORM) {
      const fromOutside = ingress(app).some((r: any) => (r.from ?? []).some((f: any) => f.namespaceSelector));
      expect({ app, fromOutside }).toEqual({ app, fromOutside: app === 'gateway' });
      if (app === 'gateway') continue;
      const fromGateway = ingress(app).some((r: any) =>
        (r.from ?? []).some(
          (f: any) =>
            f.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'gateway' ||
            f.podSelector?.matchExpressions?.some((e: any) => e.values.includes('gateway')),
        ),
      );
      expect({ app, fromGateway }).toEqual({ app, fromGateway: true });
    }
    // Redis only from the gateway (the rate-limit store); PostgreSQL from every kit service.
    for (const app of PLATFORM) {
      const ports = egress(app).flatMap((r: any) => r.ports.map((p: any) => p.port));
      expect({ app, redis: ports.includes(6379) }).toEqual({ app, redis: app === 'gateway' });
      expect({ app, pg: ports.includes(5432) }).toEqual({ app, pg: app !== 'gateway' });
    }
  });
});

describe('a broken manifest fails', () => {
  let copy: string;
  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'geminis-k8s-'));
    cpSync(K8S, copy, { recursive: true });
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('an object the schema refuses (a container without a name) is reported', () => {
    const file = join(copy, 'base/gateway.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('        - name: gateway\n          image:', '        - image:'),
    );
    const problems = schemaProblems(render(join(copy, 'overlays/prod')));
    expect(problems).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'gateway',
        error: expect.stringContaining('name'),
      }),
    ]);
  });

  it('a kustomization that does not render fails', () => {
    const file = join(copy, 'base/kustomization.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  - ingress.yaml\n', '  - ingres.yaml\n'));
    expect(() => render(join(copy, 'overlays/prod'))).toThrow(/kustomize/);
  });
});
