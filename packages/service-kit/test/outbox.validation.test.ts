import { EventEnvelopeSchema, plainlyValidEnvelope } from '@geminis/contracts';
import fc from 'fast-check';
import { readEvent } from '../src/outbox/consumer';
import { NoteAdded, testRegistry } from './fixtures/events';

const valid = {
  id: '01939a4c-7b1e-7cc0-8a3b-5f2d8e9c0a11',
  type: NoteAdded.type,
  source: 'bench',
  time: '2026-11-30T19:02:34.973Z',
  tenantId: '0190aaaa-0000-7000-8000-00000000000a',
  correlationId: '01939a4c-7b1e-7cc0-8a3b-5f2d8e9c0a11',
  data: { n: 1 },
};

/** Values each envelope field may take in a message: valid ones, near misses, wrong types. */
const fieldValues: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.uuid(), fc.constantFrom(valid.id, valid.id.toUpperCase(), `${valid.id}x`, '', 1, null)),
  type: fc.constantFrom(NoteAdded.type, 'test.note.added', 'Test.note.added.v1', 'a.b.c.v0', '', 7),
  source: fc.oneof(fc.string({ maxLength: 3 }), fc.constant(null)),
  time: fc.constantFrom(
    valid.time,
    '2026-11-30T19:02:34+01:00',
    '2026-11-30T19:02:34',
    '2026-02-30T19:02:34Z',
    '2028-02-29T00:00:00.1Z',
    'yesterday',
    0,
  ),
  tenantId: fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'x', false)),
  correlationId: fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('x'.repeat(200), 'x'.repeat(201), [])),
  causationId: fc.constantFrom(undefined, 'c', '', 'x'.repeat(201), null),
  traceparent: fc.constantFrom(undefined, '', '00-abc', 'x'.repeat(101), 5),
  tracestate: fc.constantFrom(undefined, '', 'k=v', 'x'.repeat(513)),
  data: fc.constantFrom(undefined, { n: 1 }, null, 'x', [1]),
  extra: fc.constantFrom(undefined, 'stripped', { nested: true }),
};

/** An envelope as JSON.parse gives it: absent fields are left out, not undefined. */
const envelopes = fc
  .record(fieldValues, { requiredKeys: [] })
  .map((fields) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));

describe('plainlyValidEnvelope', () => {
  it('gives exactly what zod gives whenever it answers, and answers for the usual valid envelope', () => {
    fc.assert(
      fc.property(envelopes, (raw) => {
        const fast = plainlyValidEnvelope(raw);
        if (fast === undefined) return;
        const slow = EventEnvelopeSchema.safeParse(raw);
        expect(slow.success).toBe(true);
        expect(fast).toStrictEqual(slow.data);
        expect(Object.keys(fast)).toEqual(Object.keys(slow.data!));
      }),
      { numRuns: 5000 },
    );
    expect(plainlyValidEnvelope({ ...valid, traceparent: '00-abc', extra: 1 })).toStrictEqual(
      EventEnvelopeSchema.parse({ ...valid, traceparent: '00-abc', extra: 1 }),
    );
  });

  it('leaves every envelope zod refuses to zod', () => {
    fc.assert(
      fc.property(envelopes, (raw) => {
        if (!EventEnvelopeSchema.safeParse(raw).success) expect(plainlyValidEnvelope(raw)).toBeUndefined();
      }),
      { numRuns: 5000 },
    );
  });
});

describe('readEvent', () => {
  const message = (body: unknown) => ({
    id: 'm',
    routingKey: NoteAdded.type,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    headers: {},
    redelivered: false,
    deliveryCount: 0,
  });

  it('reads a valid event, with its data as the contract parses it', () => {
    const read = readEvent(testRegistry, message({ ...valid, data: { n: 2, unknown: 'stripped' } }));
    expect(read).toEqual({ ok: true, event: { ...valid, data: { n: 2 } } });
  });

  it('says why an envelope or its data is invalid (for the dead-letter queue)', () => {
    const badTime = readEvent(testRegistry, message({ ...valid, time: 'yesterday' }));
    expect(badTime.ok).toBe(false);
    expect(!badTime.ok && badTime.error).toMatch(/invalid envelope/);
    const badData = readEvent(testRegistry, message({ ...valid, data: { n: 1.5 } }));
    expect(!badData.ok && badData.error).toMatch(/invalid test\.note\.added\.v1 data/);
    expect(readEvent(testRegistry, message('not json'))).toEqual({ ok: false, error: undefined });
  });
});
