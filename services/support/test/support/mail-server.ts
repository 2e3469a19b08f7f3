import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Received {
  /** The SMTP envelope (MAIL FROM / RCPT TO). */
  envelope: { from: string; to: string[] };
  /** The user the session authenticated as, if it did. */
  user?: string;
  raw: string;
  mail: ParsedMail;
}

/**
 * A real SMTP server on localhost, in the test process (the `smtp-server` package): what support's
 * nodemailer sends arrives here over SMTP and is parsed with mailparser. It can be stopped and started
 * again on the same port (an SMTP outage).
 */
export async function startMailServer(
  options: {
    refuse?: string[];
    /** Require AUTH (PLAIN/LOGIN) with this user and password. */ auth?: { user: string; pass: string };
  } = {},
) {
  const received: Received[] = [];
  const refused = new Set((options.refuse ?? []).map((a) => a.toLowerCase()));
  let port = 0;
  let server: SMTPServer | undefined;

  async function listen() {
    const auth = options.auth;
    server = new SMTPServer({
      authOptional: !auth,
      ...(auth ? { allowInsecureAuth: true, authMethods: ['PLAIN', 'LOGIN'] } : {}),
      disabledCommands: auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
      onAuth(login, _session, callback) {
        if (auth && login.username === auth.user && login.password === auth.pass)
          return callback(null, { user: login.username });
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      logger: false,
      onRcptTo(address, _session, callback) {
        if (refused.has(address.address.toLowerCase()))
          return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        return callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((mail) => {
              received.push({
                envelope: {
                  from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                  to: session.envelope.rcptTo.map((r) => r.address),
                },
                raw,
                mail,
                ...(typeof session.user === 'string' ? { user: session.user } : {}),
              });
              callback();
            })
            .catch(callback);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as { port: number }).port;
  }

  await listen();
  return {
    received,
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    /** Mails received for an address. */
    to: (address: string) => received.filter((r) => r.envelope.to.includes(address)),
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start: listen,
  };
}

export type MailServer = Awaited<ReturnType<typeof startMailServer>>;
