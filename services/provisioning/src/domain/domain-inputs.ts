import { Domain, DomainTld, Nameserver, RegistrantContact, RegistrarKind } from '@geminis/contracts';
import { z } from 'zod';

const Name = z.string().trim().min(1).max(200);
const Token = z.string().min(8).max(512);
const WebhookSecret = z.string().min(16).max(512);
const Ipv4 = z
  .string()
  .trim()
  .max(15)
  .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, 'an IPv4 address');
const HttpUrl = z
  .url({ protocol: /^https?$/ })
  .max(500)
  .refine((u) => !/[?#]/.test(u), 'a base URL without query or fragment');

/** The credentials each registrar authenticates with (sealed at rest, never answered). */
export const ResellerClubCredentialsInput = z
  .object({
    resellerId: z
      .string()
      .max(20)
      .regex(/^\d{1,20}$/, 'the numeric reseller id (auth-userid)'),
    apiKey: Token,
    webhookSecret: WebhookSecret.optional(),
  })
  .strict();
export const NamecheapCredentialsInput = z
  .object({
    apiUser: z.string().trim().min(1).max(20),
    apiKey: z.string().min(8).max(50),
    userName: z.string().trim().min(1).max(20),
    clientIp: Ipv4,
    webhookSecret: WebhookSecret.optional(),
  })
  .strict();
export const NamecomCredentialsInput = z
  .object({
    username: z.string().trim().min(1).max(100),
    token: Token,
    webhookSecret: WebhookSecret.optional(),
  })
  .strict();

export const REGISTRAR_CREDENTIALS = {
  resellerclub: ResellerClubCredentialsInput,
  namecheap: NamecheapCredentialsInput,
  namecom: NamecomCredentialsInput,
} as const;

export const RegistrarAccountInput = z
  .object({
    name: Name,
    registrar: RegistrarKind,
    endpoint: HttpUrl.describe("The API's base URL, e.g. https://test.httpapi.com"),
    webhookUrl: HttpUrl.nullable()
      .default(null)
      .describe('The URL Name.com signs its webhooks with: this account’s callback URL as registered there'),
    enabled: z.boolean().default(true),
    credentials: z
      .record(z.string().max(64), z.unknown())
      .describe('Per registrar; stored encrypted, never answered'),
  })
  .strict();
export type RegistrarAccountInput = z.infer<typeof RegistrarAccountInput>;

export const RegistrarAccountPatch = z
  .object({
    name: Name.optional(),
    endpoint: HttpUrl.optional(),
    webhookUrl: HttpUrl.nullable().optional(),
    enabled: z.boolean().optional(),
    credentials: z
      .record(z.string().max(64), z.unknown())
      .optional()
      .describe('Replaces the stored ones whole'),
  })
  .strict();
export type RegistrarAccountPatch = z.infer<typeof RegistrarAccountPatch>;

export const TldRegistrarInput = z.object({ accountId: z.uuid() }).strict();

/** `.com` (the path may carry it URL-encoded or without the dot). */
export const tldOfParam = (raw: string) => DomainTld.safeParse(raw.startsWith('.') ? raw : `.${raw}`);

export const NameserversInput = z
  .object({ nameservers: z.array(Nameserver).max(13).describe('Empty: the registrar’s defaults') })
  .strict()
  .refine((v) => v.nameservers.length === 0 || v.nameservers.length >= 2, {
    message: 'at least two nameservers (or none for the registrar’s defaults)',
    path: ['nameservers'],
  });
export const ContactInput = z.object({ contact: RegistrantContact.strict() }).strict();
const IpAddress = z.union([z.ipv4(), z.ipv6()]);
export const ChildHostInput = z
  .object({ ips: z.array(IpAddress).min(1).max(13).describe('The addresses of the private nameserver') })
  .strict();
export const ChildHostParam = Domain;

const DnsHost = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(@|\*|(\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*)$/,
    '@, or a name relative to the domain',
  );
export const DnsRecordInput = z
  .object({
    type: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'TXT']),
    host: DnsHost,
    answer: z.string().trim().min(1).max(1024),
    ttl: z.number().int().min(60).max(86_400).default(3600),
    priority: z.number().int().min(0).max(65_535).nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    const bad = (message: string, path = 'answer') => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (r.type === 'A' && !z.ipv4().safeParse(r.answer).success) bad('an IPv4 address');
    if (r.type === 'AAAA' && !z.ipv6().safeParse(r.answer).success) bad('an IPv6 address');
    if ((r.type === 'CNAME' || r.type === 'MX') && !Domain.safeParse(r.answer.toLowerCase()).success)
      bad('a host name');
    if (r.type === 'MX' && r.priority === null) bad('required for MX', 'priority');
    if (r.type !== 'MX' && r.priority !== null) bad('only for MX', 'priority');
  });
export const DnsRecordsInput = z.object({ records: z.array(DnsRecordInput).max(100) }).strict();

export const LockInput = z.object({ locked: z.boolean() }).strict();
export const PrivacyInput = z.object({ enabled: z.boolean() }).strict();

export const AvailabilityQuery = z
  .object({
    names: z
      .string()
      .max(2000)
      .transform((s) => [
        ...new Set(
          s
            .split(',')
            .map((n) => n.trim().toLowerCase())
            .filter(Boolean),
        ),
      ])
      .pipe(z.array(Domain).min(1).max(50))
      .describe('Comma-separated domain names (at most 50)'),
    currency: z
      .string()
      .length(3)
      .regex(/^[A-Z]{3}$/)
      .optional(),
  })
  .strict();

export const DomainJobsQuery = z
  .object({
    tenantId: z.uuid().optional(),
    status: z.enum(['pending', 'running', 'done', 'failed']).optional(),
    domainId: z.uuid().optional(),
  })
  .strict();
