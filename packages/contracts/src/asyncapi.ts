import { z } from 'zod';
import { EventEnvelopeSchema } from './envelope';
import { allEvents } from './events';
import { type EventDefinition } from './registry';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12) of one event: the envelope with this event's `type` and `data`. */
export function eventJsonSchema(def: EventDefinition): JsonSchema {
  const schema = EventEnvelopeSchema.extend({ type: z.literal(def.type), data: def.schema });
  return {
    $id: `urn:geminis:event:${def.type}`,
    description: def.description,
    ...z.toJSONSchema(schema, { io: 'input' }),
  };
}

const messageName = (type: string) => type.replace(/\./g, '_');

/** The AsyncAPI 3.0 document of every event on the `geminis.events.direct` exchange (routing key = type). */
export function buildAsyncApiDocument(): JsonSchema {
  const channels: JsonSchema = {};
  const operations: JsonSchema = {};
  const messages: JsonSchema = {};
  for (const def of allEvents) {
    const name = messageName(def.type);
    messages[name] = {
      name: def.type,
      title: def.type,
      summary: def.description,
      contentType: 'application/json',
      payload: eventJsonSchema(def),
    };
    channels[name] = {
      address: def.type,
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: {
            name: 'geminis.events.direct',
            type: 'direct',
            durable: true,
            autoDelete: false,
            vhost: '/',
          },
          bindingVersion: '0.3.0',
        },
      },
    };
    operations[`publish_${name}`] = {
      action: 'send',
      summary: `${def.type.split('.')[0]} publishes ${def.type}`,
      channel: { $ref: `#/channels/${name}` },
      bindings: { amqp: { deliveryMode: 2, mandatory: true, bindingVersion: '0.3.0' } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Geminis events',
      version: '1.0.0',
      description:
        'Events published through each service outbox to the durable direct exchange geminis.events.direct ' +
        '(routing key = event type; each consumer queue is bound to the types it consumes, wildcard patterns ' +
        'expanded to the registered types they match). Its alternate exchange is the topic exchange ' +
        'geminis.events (patterns bound as given, unknown types), then geminis.unrouted. Consumers use quorum ' +
        'queues with a delivery limit and a dead-letter queue.',
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: { host: 'rabbitmq:5672', protocol: 'amqp', protocolVersion: '0.9.1' },
    },
    channels,
    operations,
    components: { messages },
  };
}

/** The generated files, by path relative to packages/contracts. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'generated/asyncapi.json': JSON.stringify(buildAsyncApiDocument(), null, 2) + '\n',
  };
  for (const def of allEvents) {
    files[`generated/schemas/${def.type}.json`] = JSON.stringify(eventJsonSchema(def), null, 2) + '\n';
  }
  return files;
}
