import { SMTPServer } from 'smtp-server';
import { type InboundService } from '../domain/inbound.service';

export interface InboundSmtpOptions {
  port: number;
  host?: string;
  /** Largest message accepted (bytes). */
  maxBytes?: number;
  inbound: Pick<InboundService, 'receive'>;
  logger?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

/**
 * The inbound SMTP listener (the `smtp-server` package): mail for reply addresses and department
 * addresses is handed to the inbound use case. A message support drops (an auto-reply, an unknown sender)
 * is still accepted — refusing it would make the sender's server bounce, which is another loop; a failure
 * of ours answers 451 so the sending server tries again later.
 */
export async function startInboundSmtp(o: InboundSmtpOptions) {
  const maxBytes = o.maxBytes ?? 10 * 1024 * 1024;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxBytes,
    logger: false,
    banner: 'Geminis support',
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = Object.assign(new Error('message too large'), { responseCode: 552 });
          callback(err);
          return;
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        o.inbound
          .receive(Buffer.concat(chunks), recipients)
          .then((outcome) => {
            o.logger?.info({ outcome, recipients }, 'inbound mail');
            callback();
          })
          .catch((err: unknown) => {
            o.logger?.warn({ err }, 'inbound mail failed; the sender will retry');
            callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
