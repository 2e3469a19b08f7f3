import fc from 'fast-check';
import { arbitraryOf, type JsonSchema } from './schema-arbitrary';

/** One PATCH that changed what it did not name. */
export interface PatchFinding {
  operation: string;
  field: string;
  sent: string;
  changed: string[];
}

type Doc = { paths?: Record<string, Record<string, any>> };

const IGNORED = new Set(['updatedAt', 'updated_at', 'version', 'etag']);

async function call(url: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/**
 * For every PATCH operation that has a GET on the same path: on a real row (an id the service answered
 * with), patches one field at a time with a value drawn from the field's own schema and compares the
 * resource before and after: every field it did not name must be as it was (issue 12: a patch schema
 * that kept zod's defaults re-activated a withdrawn promotion and cleared its limits).
 */
export async function patchOneFieldAtATime(options: {
  url: string;
  tokens: string[];
  ids: readonly string[];
  seed?: number;
}): Promise<{ findings: PatchFinding[]; patched: number }> {
  const doc = (await (await fetch(`${options.url}/openapi.json`)).json()) as Doc;
  const findings: PatchFinding[] = [];
  let patched = 0;
  for (const [template, methods] of Object.entries(doc.paths ?? {})) {
    const patch = methods.patch;
    if (!patch || !methods.get) continue;
    const schema = patch.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
    const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
    const params = [...template.matchAll(/\{[^}]+\}/g)].length;
    if (params > 1) continue;
    // A row this token can read and change.
    let target: { path: string; token: string; before: Record<string, unknown> } | undefined;
    for (const token of options.tokens) {
      for (const id of params === 0 ? [''] : options.ids) {
        const path = template.replace(/\{[^}]+\}/, id);
        const got = await call(options.url, 'GET', path, token);
        if (got.status === 200 && got.body && typeof got.body === 'object') {
          target = { path, token, before: got.body as Record<string, unknown> };
          break;
        }
      }
      if (target) break;
    }
    if (!target) continue;
    for (const [field, fieldSchema] of Object.entries(properties)) {
      const candidates = fc.sample(arbitraryOf(fieldSchema, options.ids), {
        numRuns: 6,
        seed: options.seed ?? 7,
      });
      for (const value of candidates) {
        const before = await call(options.url, 'GET', target.path, target.token);
        const res = await call(options.url, 'PATCH', target.path, target.token, { [field]: value });
        if (res.status !== 200 && res.status !== 204) continue;
        patched += 1;
        const after = await call(options.url, 'GET', target.path, target.token);
        const a = before.body as Record<string, unknown>;
        const b = after.body as Record<string, unknown>;
        const changed = Object.keys({ ...a, ...b }).filter(
          (k) => k !== field && !IGNORED.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]),
        );
        if (changed.length > 0) {
          findings.push({
            operation: `PATCH ${template}`,
            field,
            sent: JSON.stringify(value).slice(0, 120),
            changed,
          });
        }
        break;
      }
    }
  }
  return { findings, patched };
}
