import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { type MailTransport } from './sender';

/** nodemailer over SMTP (pooled connections, timeouts so a silent server cannot hold the sender). */
export const smtpTransport = (url: string): MailTransport =>
  nodemailer.createTransport(url, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as never);

/** A transport to one server that can also check the connection and be closed. */
export interface ServerTransport extends MailTransport {
  verify(): Promise<unknown>;
  close(): void;
}

/**
 * nodemailer to a tenant's own server: connected to the address support resolved and checked (so the
 * name cannot be re-resolved to a private address), TLS verified against the host name.
 */
export const serverTransport = (o: {
  host: string;
  address: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  auth?: { user: string; pass: string };
  timeoutMs: number;
}): ServerTransport =>
  nodemailer.createTransport({
    host: o.address,
    port: o.port,
    secure: o.security === 'tls',
    requireTLS: o.security === 'starttls',
    ignoreTLS: o.security === 'none',
    ...(o.auth ? { auth: o.auth } : {}),
    tls: { servername: o.host.replace(/^\[|\]$/g, '') },
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: 3 * o.timeoutMs,
  } as never);

/**
 * Development capture (`npm start` without SUPPORT_SMTP_URL): each message is built by nodemailer as
 * real RFC 822 and written to `dir` as `<message-id>.eml`, to open in any mail client.
 */
export function fileTransport(dir: string): MailTransport & { dir: string } {
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const where = resolve(dir);
  return {
    dir: where,
    async sendMail(message) {
      const info = (await stream.sendMail(message)) as { message: Buffer; messageId: string };
      await mkdir(where, { recursive: true });
      const name = info.messageId.replace(/[^A-Za-z0-9.@_-]/g, '') || String(Date.now());
      await writeFile(join(where, `${name}.eml`), info.message);
      return info;
    },
  };
}
