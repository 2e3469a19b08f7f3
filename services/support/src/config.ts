import { secret } from '@geminis/service-kit';
import { z } from 'zod';
import { type MailTransport } from './mail/sender';

/** Support's own environment variables (the shared ones — PORT, DATABASE_URL, JWT… — are the kit's). */
export const supportConfigShape = {
  /** Days a ticket may wait for its client (status answered) before it is closed; 0 turns it off. */
  SUPPORT_AUTO_CLOSE_DAYS: z.coerce.number().int().min(0).max(365).default(7),
  /** The platform's storefront (links in mails of tenants without a custom domain: /reset-password?token=…). */
  SUPPORT_STOREFRONT_URL: z.url().default('http://localhost:8080'),
  /** Identity's base URL: each tenant's brand (public data) for its mails. */
  IDENTITY_URL: z.url().default('http://127.0.0.1:4001'),
  /** Provisioning's base URL: a new service's panel login for its welcome mail (service-key route). */
  PROVISIONING_URL: z.url().default('http://127.0.0.1:4004'),
  /** Outgoing mail server (`smtp://user:pass@host:587` or `smtps://…`); unset: mails are written to SUPPORT_MAIL_DIR. */
  SUPPORT_SMTP_URL: z
    .url()
    .refine((u) => /^smtps?:\/\//.test(u), 'an smtp:// or smtps:// URL')
    .optional(),
  /** Where mails are captured as .eml files when no SMTP server is configured (development). */
  SUPPORT_MAIL_DIR: z.string().min(1).default('.data/mail'),
  /** The platform's sending address: envelope sender, and From of a brand without a support address. */
  SUPPORT_MAIL_FROM: z.email().default('no-reply@geminis.localhost'),
  /** Domain of the signed reply addresses (reply+<token>@domain) that route a client's answer to its ticket. */
  SUPPORT_REPLY_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+\.[a-z0-9-]+$/, 'a lower-case domain')
    .default('reply.geminis.localhost'),
  /** Signs reply addresses (HMAC-SHA256). */
  SUPPORT_REPLY_SECRET: secret(32),
  /** Days a reply address stays valid. */
  SUPPORT_REPLY_TOKEN_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  /** Port of the inbound SMTP listener (replies and department mail); unset: no listener (use piping). */
  SUPPORT_INBOUND_SMTP_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  SUPPORT_INBOUND_SMTP_HOST: z.string().min(1).default('0.0.0.0'),
  /** Master key of secrets sealed at rest (tenants' webhook signing secrets). */
  SUPPORT_ENCRYPTION_KEY: secret(32),
  /** Failed webhook attempts in a row that disable an endpoint. */
  SUPPORT_WEBHOOK_FAILURE_LIMIT: z.coerce.number().int().min(1).max(1000).default(50),
  /** Largest attachment (bytes); at most the HTTP body limit (1 MiB). */
  SUPPORT_ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(512 * 1024),
  /** All attachments of one ticket together (bytes). */
  SUPPORT_TICKET_ATTACHMENTS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
  /**
   * Development only: let webhooks reach loopback/private addresses over plain http, and tenants' SMTP
   * servers be private or plain (never in production).
   */
  SUPPORT_WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
};

export type SupportEnvConfig = z.infer<z.ZodObject<typeof supportConfigShape>>;

/** What supportService needs (its entry maps the environment onto it; tests build it directly). */
export interface SupportConfig {
  /** Days awaiting the client before auto-close; 0 or undefined = never. */
  autoCloseDays?: number;
  /** Run the SLA and auto-close jobs and the mail sender (default true; tests call them directly). */
  jobs?: boolean;
  /** Clock for SLA deadlines, auto-close, mail retries and reply tokens (tests). */
  now?: () => Date;
  /** Identity's base URL (tenants' brands). */
  identityUrl?: string;
  /** Provisioning's base URL (a new service's panel login, fetched when its mail is sent). */
  provisioningUrl?: string;
  /** The breaker on provisioning (tests: a short reset). */
  provisioningBreaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  /**
   * The shared service key (identity's service-only routes: a password reset's live token; provisioning's:
   * a service's panel login).
   */
  serviceKey?: string;
  /** The platform storefront's base URL, for links in mails of tenants without a custom domain. */
  storefrontUrl?: string;
  mail?: {
    /** An SMTP URL; without it (and without `transport`) mails are written to `dir`. */
    smtpUrl?: string | undefined;
    dir?: string;
    /** A ready transport (tests hand in their own nodemailer transport). */
    transport?: MailTransport;
    from?: string;
    maxAttempts?: number;
    retryBaseMs?: number;
    /** How often the sender looks for due mails (default 2 s). */
    pollMs?: number;
    /** The SMTP server's circuit breaker. */
    breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
    /** First resend after a soft bounce (default 30 minutes; doubles per bounce). */
    softBounceRetryMs?: number;
    /** Development and tests only: tenants' SMTP servers on private addresses, and plain SMTP. */
    allowPrivateSmtp?: boolean;
  };
  reply?: { secret: string; domain: string; validDays?: number };
  /** The inbound SMTP listener (off unless a port is given; 0 = any free port, for tests). */
  inboundSmtp?: { port: number; host?: string };
  /** Seals webhook secrets (32+ characters; a random one per process when absent, for tests). */
  encryptionKey?: string;
  attachments?: { maxBytes?: number; maxTicketBytes?: number };
  webhooks?: {
    /** Tests only: loopback and private targets over http. */
    allowPrivate?: boolean;
    failureLimit?: number;
    retryBaseMs?: number;
    /** How long a delivery is retried (default a day). */
    retryForMs?: number;
    pollMs?: number;
    /** How long one attempt waits for an answer (default 10 s). */
    timeoutMs?: number;
    /** Each endpoint's circuit breaker. */
    breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  };
}

export const supportConfigFrom = (
  env: SupportEnvConfig,
  shared: { GEMINIS_MODE?: string | undefined; INTERNAL_SERVICE_KEY?: string | undefined },
): SupportConfig => ({
  autoCloseDays: env.SUPPORT_AUTO_CLOSE_DAYS,
  identityUrl: env.IDENTITY_URL,
  provisioningUrl: env.PROVISIONING_URL,
  storefrontUrl: env.SUPPORT_STOREFRONT_URL,
  ...(shared.INTERNAL_SERVICE_KEY ? { serviceKey: shared.INTERNAL_SERVICE_KEY } : {}),
  mail: {
    smtpUrl: env.SUPPORT_SMTP_URL,
    dir: env.SUPPORT_MAIL_DIR,
    from: env.SUPPORT_MAIL_FROM,
    // the development switch for private targets covers tenants' SMTP servers as well as webhooks
    allowPrivateSmtp: shared.GEMINIS_MODE !== 'production' && env.SUPPORT_WEBHOOK_ALLOW_PRIVATE,
  },
  reply: {
    secret: env.SUPPORT_REPLY_SECRET!,
    domain: env.SUPPORT_REPLY_DOMAIN,
    validDays: env.SUPPORT_REPLY_TOKEN_DAYS,
  },
  encryptionKey: env.SUPPORT_ENCRYPTION_KEY!,
  attachments: {
    maxBytes: env.SUPPORT_ATTACHMENT_MAX_BYTES,
    maxTicketBytes: env.SUPPORT_TICKET_ATTACHMENTS_MAX_BYTES,
  },
  webhooks: {
    allowPrivate: shared.GEMINIS_MODE !== 'production' && env.SUPPORT_WEBHOOK_ALLOW_PRIVATE,
    failureLimit: env.SUPPORT_WEBHOOK_FAILURE_LIMIT,
  },
  ...(env.SUPPORT_INBOUND_SMTP_PORT !== undefined
    ? { inboundSmtp: { port: env.SUPPORT_INBOUND_SMTP_PORT, host: env.SUPPORT_INBOUND_SMTP_HOST } }
    : {}),
});
