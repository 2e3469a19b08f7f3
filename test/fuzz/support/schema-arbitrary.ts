import fc from 'fast-check';

/** A JSON Schema as the services' OpenAPI documents carry it (zod's toJSONSchema, inline). */
export type JsonSchema = Record<string, unknown>;

/**
 * Values a route accepts, drawn from its JSON Schema: objects with their required properties and some
 * optional ones, strings of the declared format or pattern, integers in range. Ids come from `ids` (rows
 * the service really has) half the time, so a request reaches the code behind the "not found" check.
 */
export function arbitraryOf(
  schema: JsonSchema | undefined,
  ids: readonly string[],
  depth = 0,
): fc.Arbitrary<unknown> {
  if (!schema || depth > 8) return fc.constant({});
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return fc.constantFrom(...(schema.enum as unknown[]));
  const choices = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) {
    return fc.oneof(...choices.map((c) => arbitraryOf(c, ids, depth + 1)));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    return arbitraryOf(schema.allOf[0] as JsonSchema, ids, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  const arbs = type.map((t) => byType(t, schema, ids, depth));
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

const small = (n: unknown, fallback: number) => (typeof n === 'number' ? n : fallback);

function stringOf(schema: JsonSchema, ids: readonly string[]): fc.Arbitrary<string> {
  const min = small(schema.minLength, 0);
  const max = Math.max(min, Math.min(small(schema.maxLength, 40), 40));
  switch (schema.format) {
    case 'uuid':
      return ids.length > 0
        ? fc.oneof(fc.constantFrom(...ids), fc.uuid({ version: 7 }))
        : fc.uuid({ version: 7 });
    case 'date-time':
      return fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.constantFrom('someone@example.com', 'fuzz+1@example.org');
    case 'uri':
      return fc.constantFrom('https://example.com/hook', 'https://example.org/');
    default:
  }
  if (typeof schema.pattern === 'string') {
    try {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((s) => s.length >= min && s.length <= max * 4);
    } catch {
      /* a pattern fast-check cannot draw from: plain text below */
    }
  }
  return fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
}

function byType(
  type: string | undefined,
  schema: JsonSchema,
  ids: readonly string[],
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringOf(schema, ids);
    case 'integer': {
      const min = Math.max(small(schema.minimum, -1000), Number.MIN_SAFE_INTEGER);
      const max = Math.min(small(schema.maximum, 1000), Number.MAX_SAFE_INTEGER);
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1000), max: Math.max(Math.min(max, 1000), Math.max(min, -1000)) }),
        fc.constantFrom(min, max),
      );
    }
    case 'number':
      return fc.double({
        min: small(schema.minimum, -1000),
        max: small(schema.maximum, 1000),
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = arbitraryOf(schema.items as JsonSchema | undefined, ids, depth + 1);
      const minLength = small(schema.minItems, 0);
      return fc.array(items, {
        minLength,
        maxLength: Math.max(minLength, Math.min(small(schema.maxItems, 3), 3)),
      });
    }
    case 'object':
    case undefined: {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      if (Object.keys(properties).length === 0) {
        return type === 'object'
          ? fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), {
              maxKeys: 3,
            })
          : fc.constant(null);
      }
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const record = Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, arbitraryOf(v, ids, depth + 1)]),
      );
      const requiredKeys = Object.keys(properties).filter((k) => required.has(k));
      return fc.record(record, { requiredKeys });
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}
