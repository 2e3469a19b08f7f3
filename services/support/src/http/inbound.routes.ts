import { InboundMailResult } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { invalidField } from '../domain/errors';
import { type InboundService } from '../domain/inbound.service';

export const INBOUND_MAIL_PATH = '/internal/v1/support/inbound-mail';

/**
 * Mail piping: the mail server (or a pipe script) posts each raw RFC 822 message with the service key.
 * Internal: the gateway never routes it.
 */
export function inboundRoutes(deps: { inbound: InboundService }) {
  const routes = createRoutes();
  routes.post(
    INBOUND_MAIL_PATH,
    { service: true },
    {
      summary: 'Receive one raw RFC 822 message (a ticket reply or a mail to a department)',
      responses: { 200: InboundMailResult },
    },
    async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // the header section must be there, with a From line, before a blank line
      const head =
        raw
          .subarray(0, 64 * 1024)
          .toString('latin1')
          .split(/\r?\n\r?\n/)[0] ?? '';
      if (raw.length === 0 || !/^from:/im.test(head))
        throw invalidField('support.not_a_message', 'body', 'a raw RFC 822 message with a From header');
      res.json(await deps.inbound.receive(raw));
    },
  );
  return routes;
}
