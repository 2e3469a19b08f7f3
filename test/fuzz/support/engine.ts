import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { Client } from 'pg';
import { hostilePathSegments, hostileValue, lyingHeaders, rawBodies } from './hostile';
import { patchOneFieldAtATime, type PatchFinding } from './patch';
import { arbitraryOf, type JsonSchema } from './schema-arbitrary';

export type FuzzRole = 'admin' | 'reseller' | 'client' | 'anonymous';

export interface FuzzTarget {
  service: string;
  /** The service's own HTTP address (its app, on a real PostgreSQL). */
  url: string;
  /** The service's database as a superuser, to digest every table (RLS does not hide rows from it). */
  adminDbUrl: string;
  tokens: Record<Exclude<FuzzRole, 'anonymous'>, string>;
  /**
   * Tables a refused request may change by design, with the reason (a failed login is recorded). Every
   * other table must be byte for byte the same after any 4xx.
   */
  mayChangeOnRefusal?: Record<string, string>;
  /** Requests drawn per operation and role. */
  runs?: number;
  seed?: number;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What was done to the request, for the report. */
  mutation: string;
}

export interface Finding {
  kind: '5xx' | 'state changed on refusal' | '4xx without problem+json' | 'no answer';
  operation: string;
  role: FuzzRole;
  status: number;
  mutation: string;
  request: string;
  detail?: string;
}

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema; required: boolean }[];
  body?: JsonSchema;
}

function operationsOf(doc: { paths?: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as {
        name: string;
        in: string;
        schema: JsonSchema;
        required?: boolean;
      }[];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body: op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined,
      });
    }
  }
  return ops;
}

/** Every uuid a service answered with: real rows of every tenant, so requests reach past "not found". */
function collectIds(value: unknown, into: Set<string>): void {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (typeof value === 'string' && uuid.test(value)) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectIds(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectIds(v, into));
}

/** Replaces the n-th node of a JSON value (the root included) with `replacement`. */
function replaceNth(value: unknown, n: number, replacement: unknown): unknown {
  const nodes: { parent: any; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((item, i) => (nodes.push({ parent: v, key: i }), walk(item)));
    else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        nodes.push({ parent: v, key: k });
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  const copy = JSON.parse(JSON.stringify(value ?? {})) as unknown;
  walk(copy);
  if (nodes.length === 0) return replacement;
  const { parent, key } = nodes[n % nodes.length]!;
  parent[key] = replacement;
  return copy;
}

/** Adds a key to the n-th object of a JSON value: a prototype name or one no schema declares. */
function addKey(value: unknown, n: number, key: string): unknown {
  const objects: Record<string, unknown>[] = [];
  const copy = JSON.parse(JSON.stringify(value ?? {})) as unknown;
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      objects.push(v as Record<string, unknown>);
      Object.values(v).forEach(walk);
    }
  };
  walk(copy);
  const target = objects[n % Math.max(objects.length, 1)];
  if (!target) return copy;
  // defineProperty: `target.__proto__ = …` would set the prototype instead of a key JSON sends.
  Object.defineProperty(target, key, {
    value: { polluted: true },
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** Percent-encodes a query value; a lone surrogate (which UTF-8 cannot encode) goes as invalid bytes. */
const encode = (v: unknown) =>
  (typeof v === 'string' ? v : JSON.stringify(v)).replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%ED%A0%80';
    }
  });

function requestArbitrary(op: Operation, ids: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const idArb = ids.length > 0 ? fc.constantFrom(...ids) : fc.uuid({ version: 7 });
  const segment = fc.oneof(
    { weight: 5, arbitrary: idArb.map((id) => ({ value: id, hostile: false })) },
    { weight: 1, arbitrary: fc.uuid({ version: 7 }).map((id) => ({ value: id, hostile: false })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...hostilePathSegments).map((s) => ({ value: s, hostile: true })),
    },
  );
  const pathArb = fc.tuple(...op.pathParams.map(() => segment)).map((segments) => {
    let i = 0;
    const path = op.path.replace(/\{[^}]+\}/g, () => segments[i++]!.value);
    const hostile = segments.filter((s) => s.hostile).map((s) => s.value.slice(0, 40));
    return { path, note: hostile.length ? `path ${hostile.join(',')}` : '' };
  });
  const queryArb = fc
    .tuple(
      fc.tuple(
        ...op.query.map((q) =>
          fc.oneof(
            {
              weight: 3,
              arbitrary: arbitraryOf(q.schema, ids).map((v) => ({
                name: q.name,
                value: encode(v),
                note: '',
              })),
            },
            {
              weight: 2,
              arbitrary: hostileValue.map((v) => ({
                name: q.name,
                value: encode(v),
                note: `?${q.name} hostile`,
              })),
            },
            {
              weight: 1,
              arbitrary: fc
                .constantFrom('%E0%A4%A', '%00', '%')
                .map((v) => ({ name: q.name, value: v, note: `?${q.name}=${v}` })),
            },
            {
              weight: 1,
              arbitrary: fc.constant({ name: q.name, value: '1&' + q.name + '=2', note: `?${q.name} twice` }),
            },
            { weight: 2, arbitrary: fc.constant(undefined) },
          ),
        ),
      ),
      fc.option(fc.constantFrom('unknown=1', 'tenantId=%00', 'limit=1e400', '__proto__[x]=1', 'a[b][c]=d'), {
        freq: 3,
      }),
    )
    .map(([params, extra]) => {
      const present = params.filter(
        (p): p is { name: string; value: string; note: string } => p !== undefined,
      );
      const parts = present.map((p) => `${p.name}=${p.value}`);
      if (extra) parts.push(extra);
      const notes = present.map((p) => p.note).filter(Boolean);
      if (extra) notes.push(`?${extra}`);
      return { query: parts.length ? `?${parts.join('&')}` : '', note: notes.join(' ') };
    });
  const json = { 'content-type': 'application/json' };
  const hasBody = op.body !== undefined || ['POST', 'PUT', 'PATCH'].includes(op.method);
  const valid = arbitraryOf(op.body ?? { type: 'object' }, ids);
  const bodyArb: fc.Arbitrary<{ body?: string; headers: Record<string, string>; note: string }> = hasBody
    ? fc.oneof(
        {
          weight: 2,
          arbitrary: valid.map((v) => ({ body: JSON.stringify(v), headers: json, note: 'valid body' })),
        },
        {
          weight: 6,
          arbitrary: fc.tuple(valid, fc.nat(), hostileValue).map(([v, n, h]) => ({
            body: JSON.stringify(replaceNth(v, n, h)),
            headers: json,
            note: `field ← ${JSON.stringify(h).slice(0, 40)}`,
          })),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(valid, fc.nat(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'unknownField'))
            .map(([v, n, k]) => ({ body: JSON.stringify(addKey(v, n, k)), headers: json, note: `key ${k}` })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...rawBodies)
            .map((b) => ({ body: b, headers: json, note: `raw ${b.slice(0, 30)}` })),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(valid, fc.constantFrom(...lyingHeaders))
            .map(([v, h]) => ({ body: JSON.stringify(v), headers: h, note: `headers ${JSON.stringify(h)}` })),
        },
      )
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant({ headers: {}, note: '' }) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...rawBodies)
            .map((b) => ({ body: b, headers: json, note: `raw body on ${op.method}` })),
        },
      );
  return fc.tuple(pathArb, queryArb, bodyArb).map(([p, q, b]) => ({
    method: op.method,
    path: p.path + q.query,
    headers: b.headers,
    ...(b.body !== undefined ? { body: b.body } : {}),
    mutation: [p.note, q.note, b.note].filter(Boolean).join('; ') || 'none',
  }));
}

function send(
  base: string,
  req: FuzzRequest,
  token?: string,
): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: {
          ...req.headers,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
        },
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8').slice(0, 500),
          }),
        );
        res.on('error', () => resolve({ status: 0, type: '', text: 'response stream failed' }));
      },
    );
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', (err) => resolve({ status: 0, type: '', text: err.message }));
    r.end(req.body);
  });
}

/** One md5 per table over every row (outbox/inbox by count: the relay marks rows published on its own). */
async function digestQuery(pg: Client): Promise<string> {
  const tables = await pg.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
  );
  const parts = tables.rows.map(({ name }) => {
    const q = `"${name.replace(/"/g, '""')}"`;
    return /outbox|inbox/.test(name)
      ? `SELECT '${name}' AS t, count(*)::text AS d FROM ${q}`
      : `SELECT '${name}' AS t, md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) AS d FROM ${q} x`;
  });
  return parts.join(' UNION ALL ');
}

async function digest(pg: Client, sql: string): Promise<Map<string, string>> {
  const res = await pg.query<{ t: string; d: string }>(sql);
  return new Map(res.rows.map((r) => [r.t, r.d]));
}

const describeRequest = (req: FuzzRequest) =>
  `${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers)} ${req.body === undefined ? '' : req.body.slice(0, 300)}`;

/**
 * Every operation of the service's API document, as every role, with requests drawn by fast-check from
 * the operation's own schemas and then mutated with the hostile classes. Never a 5xx; a refusal (4xx) is
 * problem+json and leaves every table as it was.
 */
export async function fuzzService(target: FuzzTarget): Promise<{
  findings: Finding[];
  requests: number;
  operations: number;
  /** PATCHes of one field that changed another field (see patch.ts), and how many PATCHes were tried. */
  patches: { findings: PatchFinding[]; patched: number };
}> {
  const doc = (await (await fetch(`${target.url}/openapi.json`)).json()) as {
    paths?: Record<string, Record<string, any>>;
  };
  const operations = operationsOf(doc);
  const roles: FuzzRole[] = ['admin', 'reseller', 'client', 'anonymous'];
  const tokenOf = (role: FuzzRole) => (role === 'anonymous' ? undefined : target.tokens[role]);

  const idSet = new Set<string>();
  for (const op of operations.filter((o) => o.method === 'GET' && o.pathParams.length === 0)) {
    for (const role of roles) {
      const res = await send(
        target.url,
        { method: 'GET', path: op.path, headers: {}, mutation: '' },
        tokenOf(role),
      );
      if (res.status === 200) {
        try {
          collectIds(JSON.parse(res.text), idSet);
        } catch {
          /* cut at 500 characters: ids from what parsed */
        }
      }
    }
  }
  const ids = [...idSet];
  const patches = await patchOneFieldAtATime({
    url: target.url,
    tokens: roles.flatMap((role) => (role === 'anonymous' ? [] : [target.tokens[role]])),
    ids,
  });

  const pg = new Client({ connectionString: target.adminDbUrl });
  await pg.connect();
  const sql = await digestQuery(pg);
  const ignored = new Set(Object.keys(target.mayChangeOnRefusal ?? {}));
  const findings = new Map<string, Finding>();
  let requests = 0;
  try {
    for (const op of operations) {
      const operation = `${op.method} ${op.path}`;
      const arb = requestArbitrary(op, ids);
      for (const [r, role] of roles.entries()) {
        const drawStart = Date.now();
        // FUZZ_RUNS and FUZZ_SEED widen or vary a run by hand (CI keeps the committed, bounded defaults).
        const drawn = fc.sample(arb, {
          numRuns: Number(process.env.FUZZ_RUNS ?? '') || (target.runs ?? 20),
          seed: (Number(process.env.FUZZ_SEED ?? '') || (target.seed ?? 12)) + r + op.path.length * 7,
        });
        if (process.env.FUZZ_VERBOSE)
          process.stderr.write(`drew ${operation} in ${Date.now() - drawStart}ms\n`);
        for (const req of drawn) {
          if (process.env.FUZZ_VERBOSE) process.stderr.write(`→ ${describeRequest(req).slice(0, 160)}\n`);
          const before = await digest(pg, sql);
          const started = Date.now();
          const res = await send(target.url, req, tokenOf(role));
          if (process.env.FUZZ_VERBOSE) {
            process.stderr.write(
              `${res.status} ${Date.now() - started}ms ${role} ${describeRequest(req).slice(0, 160)}\n`,
            );
          }
          requests += 1;
          const record = (kind: Finding['kind'], detail?: string) => {
            const key = `${kind} ${operation} ${role} ${res.status}`;
            if (!findings.has(key)) {
              findings.set(key, {
                kind,
                operation,
                role,
                status: res.status,
                mutation: req.mutation,
                request: describeRequest(req),
                ...(detail ? { detail } : {}),
              });
            }
          };
          // A request line over Node's 16 KiB header limit is cut by its HTTP parser (431, then reset).
          if (res.status === 0 && req.path.length < 16_000) record('no answer', res.text);
          else if (res.status >= 500) record('5xx', res.text.slice(0, 200));
          else if (res.status >= 400) {
            if (!/application\/problem\+json/.test(res.type)) record('4xx without problem+json', res.type);
            const changedBetween = (a: Map<string, string>, b: Map<string, string>) =>
              [...b.keys()].filter((t) => !ignored.has(t) && b.get(t) !== a.get(t));
            let changed = changedBetween(before, await digest(pg, sql));
            if (changed.length > 0) {
              // A consumer may have applied an event of an earlier, accepted request meanwhile: the same
              // request is sent again once things are quiet, and only a change it makes again counts.
              await new Promise((r) => setTimeout(r, 500));
              const again = await digest(pg, sql);
              const res2 = await send(target.url, req, tokenOf(role));
              if (res2.status >= 400 && res2.status < 500)
                changed = changedBetween(again, await digest(pg, sql));
            }
            if (changed.length > 0) record('state changed on refusal', `tables: ${changed.join(', ')}`);
          }
        }
      }
    }
  } finally {
    await pg.end();
  }
  return { findings: [...findings.values()], requests, operations: operations.length, patches };
}

/** The findings as a readable list for a failing assertion. */
export const report = (findings: Finding[]) =>
  findings
    .map(
      (f) =>
        `${f.kind}: ${f.operation} as ${f.role} → ${f.status} [${f.mutation}]\n    ${f.request}${f.detail ? `\n    ${f.detail}` : ''}`,
    )
    .join('\n');
