import { eventRegistry, type EventEnvelope } from '@geminis/contracts';
import { type Disposition, type IncomingMessage } from '@geminis/service-kit';

/**
 * A handler for identity's events as the gateway reads them: the body parsed as a registered, valid
 * event, or dead-lettered (never retried: a message that cannot be read now never will be).
 */
export const onEvent =
  (handle: (event: EventEnvelope) => void) =>
  async (message: IncomingMessage): Promise<Disposition> => {
    let raw: unknown;
    try {
      raw = JSON.parse(message.body.toString('utf8'));
    } catch {
      return 'dead-letter';
    }
    const parsed = eventRegistry.parse(raw);
    if (!parsed.ok) return 'dead-letter';
    handle(parsed.event);
    return 'ack';
  };
