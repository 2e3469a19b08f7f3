import { type z } from 'zod';
import { EVENT_TYPE_PATTERN, EventEnvelopeSchema, type EventEnvelope } from './envelope';
import { plainlyValidEnvelope } from './envelope-check';

export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  type: TType;
  description: string;
  schema: TSchema;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  type: TType,
  description: string,
  schema: TSchema,
): EventDefinition<TType, TSchema> {
  if (!EVENT_TYPE_PATTERN.test(type)) {
    throw new Error(`event type "${type}" does not follow <service>.<entity>.<past-tense>.v<N>`);
  }
  return { type, description, schema };
}

export type EventData<TDef extends EventDefinition> = z.infer<TDef['schema']>;

export class EventRegistry {
  private readonly byType = new Map<string, EventDefinition>();

  constructor(definitions: readonly EventDefinition[]) {
    for (const def of definitions) {
      if (this.byType.has(def.type)) throw new Error(`event type "${def.type}" is registered twice`);
      this.byType.set(def.type, def);
    }
  }

  get(type: string): EventDefinition | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  all(): EventDefinition[] {
    return this.types().map((t) => this.byType.get(t)!);
  }

  /** Validates an envelope and its data; returns the issues instead of throwing. */
  parse(raw: unknown): { ok: true; event: EventEnvelope } | { ok: false; error: string } {
    // A plainly valid envelope is read without zod's machinery (the same result); anything else, zod's way.
    let envelope = plainlyValidEnvelope(raw);
    if (!envelope) {
      const parsed = EventEnvelopeSchema.safeParse(raw);
      if (!parsed.success) return { ok: false, error: `invalid envelope: ${parsed.error.message}` };
      envelope = parsed.data;
    }
    const def = this.byType.get(envelope.type);
    if (!def) return { ok: false, error: `unknown event type ${envelope.type}` };
    const data = def.schema.safeParse(envelope.data);
    if (!data.success) return { ok: false, error: `invalid ${def.type} data: ${data.error.message}` };
    // Built once by plainlyValidEnvelope or zod for this call: its data is replaced in place (zod's output).
    envelope.data = data.data;
    return { ok: true, event: envelope };
  }
}
