import { eventRegistry, type EventEnvelope } from '@geminis/contracts';
import { readEvent, type Disposition, type IncomingMessage } from '@geminis/service-kit';

/**
 * A handler for identity's events as the gateway reads them: the body parsed as a registered, valid
 * event, or dead-lettered (never retried: a message that cannot be read now never will be).
 */
export const onEvent =
  (handle: (event: EventEnvelope) => void) =>
  async (message: IncomingMessage): Promise<Disposition> => {
    const parsed = readEvent(eventRegistry, message);
    if (!parsed.ok) return 'dead-letter';
    handle(parsed.event);
    return 'ack';
  };
