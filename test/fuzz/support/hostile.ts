import fc from 'fast-check';

/**
 * The classes of input that reached PostgreSQL or arithmetic unchecked somewhere (issue 12) and more:
 * text the database cannot hold, dates outside its range, integers beyond a column or safe arithmetic,
 * the wrong JSON type, prototype keys, sizes no field needs.
 */
export const hostileStrings: readonly string[] = [
  'a\u0000b',
  '\u0000',
  'half \ud800 surrogate',
  '\udfff',
  '',
  ' ',
  'x'.repeat(70_000),
  'line\nbreak\ttab\r',
  '\u202egnp.exe',
  '😀'.repeat(300),
  "'; DROP TABLE users; --",
  '%00',
  '%E0%A4%A',
  '../../etc/passwd',
  '0000-01-01T00:00:00Z',
  '0000-01-01',
  '9999-12-31T23:59:59-14:00',
  '2021-02-30T00:00:00Z',
  '2021-02-30',
  '+275760-09-13T00:00:00.000Z',
  '-000001-01-01T00:00:00Z',
  '1e400',
  'NaN',
  '-1',
  '9223372036854775808',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-7FFF-BFFF-FFFFFFFFFFFF',
  'not-a-uuid',
  'UPPER@EXAMPLE.COM',
  'a@b',
  '__proto__',
  '<script>alert(1)</script>',
];

export const hostileNumbers: readonly number[] = [
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  32_768,
  65_536,
  1e308,
  -1e308,
  1e-7,
  0.5,
  -1,
  0,
  -0,
  1_000_000_000_000,
  1_000_000_000_001,
];

export const wrongTypes: readonly unknown[] = [
  null,
  true,
  false,
  [],
  {},
  [null],
  [[]],
  { a: { b: {} } },
  'string',
  0,
];

/** One hostile JSON value (never undefined). */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 3, arbitrary: fc.constantFrom(...hostileNumbers) },
  { weight: 2, arbitrary: fc.constantFrom(...wrongTypes) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...hostileStrings), { maxLength: 3 }) },
);

/** Path parameter values: well-formed but foreign, malformed, or not decodable at all. */
export const hostilePathSegments: readonly string[] = [
  '%E0%A4%A',
  '%',
  '%ZZ',
  '%00',
  'a%00b',
  '%ed%a0%80',
  '%2e%2e',
  '..',
  'x'.repeat(5000),
  '00000000-0000-0000-0000-000000000000',
  '0190AAAA-0000-7000-8000-00000000000A',
  'not-an-id',
  '%20',
  '1e400',
  '-1',
  '.com',
  '.' + 'a'.repeat(300),
];

/**
 * Whole request bodies sent as raw bytes: malformed JSON, the wrong top-level type, duplicate or prototype
 * keys, numbers JSON.parse turns into Infinity, a BOM, nesting no body needs, and nothing at all.
 */
export const rawBodies: readonly string[] = [
  '{',
  '{"a":1e400}',
  '[]',
  '"a string"',
  'null',
  '12',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\ufeff{}',
  '['.repeat(5000) + ']'.repeat(5000),
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '',
];

/** Header sets that lie about the body. */
export const lyingHeaders: readonly Record<string, string>[] = [
  { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  { 'content-type': 'application/json', 'content-encoding': 'deflate' },
  { 'content-type': 'application/json', 'content-encoding': 'br' },
  { 'content-type': 'application/json', 'content-encoding': 'x-unknown' },
  { 'content-type': 'text/plain' },
  { 'content-type': 'application/json; charset=utf-16' },
  { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'multipart/form-data; boundary=x' },
];
