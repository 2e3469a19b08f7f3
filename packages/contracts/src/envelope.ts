import { z } from 'zod';

/** The tenant that owns the platform's own (direct) clients and products. */
export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** `<service>.<entity>.<past-tense>.v<N>`, e.g. `identity.client.created.v1` (DESIGN.md §3). */
export const EVENT_TYPE_PATTERN =
  /^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\.v[1-9][0-9]*$/;

export const uuid = z.uuid();

/** The envelope every event travels in. `data` is validated separately against the event's schema. */
export const EventEnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().regex(EVENT_TYPE_PATTERN),
  source: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  tenantId: z.uuid(),
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200).optional(),
  traceparent: z.string().max(100).optional(),
  tracestate: z.string().max(512).optional(),
  data: z.unknown(),
});

export type EventEnvelope<TData = unknown> = Omit<z.infer<typeof EventEnvelopeSchema>, 'data'> & {
  data: TData;
};
