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
