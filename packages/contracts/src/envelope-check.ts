import { EVENT_TYPE_PATTERN, EventEnvelopeSchema, type EventEnvelope } from './envelope';

/**
 * A pattern zod itself tests a string field of the envelope schema with (uuid, ISO datetime), or
 * undefined if this zod keeps it elsewhere: then every envelope goes through zod.
 */
function zodPattern(field: keyof typeof EventEnvelopeSchema.shape): RegExp | undefined {
  const internals = (EventEnvelopeSchema.shape[field] as unknown as { _zod?: { pattern?: unknown } })._zod;
  return internals?.pattern instanceof RegExp ? internals.pattern : undefined;
}

const UUID = zodPattern('id');
const TENANT_UUID = zodPattern('tenantId');
const TIME = zodPattern('time');

const optionalText = (value: unknown, max: number) =>
  value === undefined || (typeof value === 'string' && value.length >= 1 && value.length <= max);
const optionalUpTo = (value: unknown, max: number) =>
  value === undefined || (typeof value === 'string' && value.length <= max);

/**
 * The envelope of a parsed JSON message as EventEnvelopeSchema.safeParse would give it, when it is
 * plainly valid; undefined when in doubt (then zod decides, and says why). It accepts only what the
 * schema accepts, with zod's own patterns, and builds the same object (known keys, in the schema's
 * order; unknown keys stripped), without zod's per-field machinery: a consumer validates every message
 * it receives, and zod's generic checks were most of that cost. outbox.validation.test compares the two.
 */
export function plainlyValidEnvelope(raw: unknown): EventEnvelope | undefined {
  if (!UUID || !TENANT_UUID || !TIME) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const e = raw as Record<string, unknown>;
  const { id, type, source, time, tenantId, correlationId, causationId, traceparent, tracestate } = e;
  if (
    typeof id !== 'string' ||
    !UUID.test(id) ||
    typeof type !== 'string' ||
    !EVENT_TYPE_PATTERN.test(type) ||
    typeof source !== 'string' ||
    source.length < 1 ||
    typeof time !== 'string' ||
    !TIME.test(time) ||
    typeof tenantId !== 'string' ||
    !TENANT_UUID.test(tenantId) ||
    typeof correlationId !== 'string' ||
    correlationId.length < 1 ||
    correlationId.length > 200 ||
    !optionalText(causationId, 200) ||
    !optionalUpTo(traceparent, 100) ||
    !optionalUpTo(tracestate, 512) ||
    !('data' in e)
  ) {
    return undefined;
  }
  const envelope = { id, type, source, time, tenantId, correlationId } as EventEnvelope;
  if (causationId !== undefined) envelope.causationId = causationId as string;
  if (traceparent !== undefined) envelope.traceparent = traceparent as string;
  if (tracestate !== undefined) envelope.tracestate = tracestate as string;
  envelope.data = e.data;
  return envelope;
}
