import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createPurposeCipher, tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { serverTransport, type ServerTransport } from '../mail/transport';
import {
  deleteSmtpSettings,
  findSmtpSettings,
  recordSmtpTest,
  saveSmtpSettings,
  type SmtpSecurity,
  type SmtpSettings,
} from '../store/smtp-settings.store';
import { isBlockedAddress } from '../webhooks/ssrf';
import { writeScope } from './context';
import { invalidField, smtpSettingsNotFound } from './errors';

const PASSWORD = 'smtp.password';

export interface SmtpSettingsInput {
  host: string;
  port: number;
  security: SmtpSecurity;
  username?: string | null | undefined;
  /** Omitted: the stored one stays; null: none. */
  password?: string | null | undefined;
}

/** What staff see: never the password, only whether one is set. */
export type SmtpSettingsView = Omit<SmtpSettings, 'passwordSealed'> & { passwordSet: boolean };

const viewOf = ({ passwordSealed, ...rest }: SmtpSettings): SmtpSettingsView => ({
  ...rest,
  passwordSet: passwordSealed !== null,
});

/**
 * Per-tenant SMTP: a reseller (or the platform, for its own tenant) may send its clients' mail through
 * its own server. Ownership: support, as DESIGN.md §2 says ("support owns customer notifications (…,
 * per-tenant SMTP, mail log)"). Identity's settings registry has only a lone `mail.smtpPassword` secret
 * (no host, port or user, no route that hands it to a service, and its change event names keys only),
 * so support keeps the whole server here and does not read identity's. The password is sealed with the
 * kit's purpose cipher and never leaves support; a tenant without its own server uses the platform's
 * (SUPPORT_SMTP_URL) — never another tenant's settings, the platform tenant's included. Hosts on
 * loopback/private/link-local addresses are refused (when saved and again when connecting), like webhooks.
 */
export function createSmtpSettingsService(deps: {
  db: Database;
  encryptionKey: string;
  /** Development and tests only: private hosts and plain (unencrypted) SMTP. */
  allowPrivate?: boolean;
  timeoutMs?: number;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const cipher = createPurposeCipher<typeof PASSWORD>(deps.encryptionKey, 'geminis.support');
  const cache = new Map<string, { updatedAt: number; server: ServerTransport }>();

  /** The address to connect to, refused when private (unless allowed). */
  async function addressOf(host: string): Promise<string> {
    const literal = host.replace(/^\[|\]$/g, '');
    const addresses = isIP(literal) ? [literal] : (await lookup(host, { all: true })).map((a) => a.address);
    if (addresses.length === 0 || (!deps.allowPrivate && addresses.some((a) => isBlockedAddress(a))))
      throw Object.assign(new Error('refused: the SMTP host is a private address'), { code: 'EREFUSEDHOST' });
    return addresses[0]!;
  }

  async function connect(s: SmtpSettings): Promise<ServerTransport> {
    return serverTransport({
      host: s.host,
      address: await addressOf(s.host),
      port: s.port,
      security: s.security,
      ...(s.username && s.passwordSealed
        ? { auth: { user: s.username, pass: cipher.open(PASSWORD, s.passwordSealed) } }
        : {}),
      timeoutMs: deps.timeoutMs ?? 10_000,
    });
  }

  const read = (tenantId: string) => {
    const scope = tenantScope(tenantId);
    return db.withTenant(scope, (tx) => findSmtpSettings(tx, scope));
  };

  return {
    async get(auth: AuthContext, tenantId?: string): Promise<SmtpSettingsView> {
      const found = await read(writeScope(auth, tenantId).tenantId);
      if (!found) throw smtpSettingsNotFound();
      return viewOf(found);
    },

    async put(auth: AuthContext, input: SmtpSettingsInput, tenantId?: string): Promise<SmtpSettingsView> {
      if (input.security === 'none' && !deps.allowPrivate)
        throw invalidField(
          'support.smtp_insecure',
          'security',
          'plain SMTP would send the password in clear: use tls or starttls',
        );
      try {
        await addressOf(input.host);
      } catch (err) {
        const refused = (err as { code?: string }).code === 'EREFUSEDHOST';
        throw invalidField(
          'support.smtp_host_refused',
          'host',
          refused ? 'a private, loopback or link-local address' : 'the name does not resolve',
        );
      }
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const current = await findSmtpSettings(tx, scope);
        const username = input.username === undefined ? (current?.username ?? null) : input.username;
        const passwordSealed =
          input.password === undefined
            ? (current?.passwordSealed ?? null)
            : input.password === null
              ? null
              : cipher.seal(PASSWORD, input.password);
        if (!!username !== !!passwordSealed)
          throw invalidField(
            'support.smtp_credentials_incomplete',
            username ? 'password' : 'username',
            'a username and a password go together',
          );
        const saved = await saveSmtpSettings(
          tx,
          scope,
          { host: input.host, port: input.port, security: input.security, username, passwordSealed },
          now(),
        );
        return viewOf(saved);
      });
    },

    /** Back to the platform's server. */
    async remove(auth: AuthContext, tenantId?: string): Promise<void> {
      const scope = writeScope(auth, tenantId);
      if (!(await db.withTenant(scope, (tx) => deleteSmtpSettings(tx, scope)))) throw smtpSettingsNotFound();
    },

    /** Connects and authenticates (nothing is sent); the outcome is kept with the settings. */
    async test(auth: AuthContext, tenantId?: string): Promise<{ ok: boolean; error: string | null }> {
      const scope = writeScope(auth, tenantId);
      const found = await read(scope.tenantId);
      if (!found) throw smtpSettingsNotFound();
      let error: string | null = null;
      let server: ServerTransport | undefined;
      try {
        server = await connect(found);
        await server.verify();
      } catch (err) {
        error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      } finally {
        server?.close();
      }
      await db.withTenant(scope, (tx) => recordSmtpTest(tx, scope, { at: now(), ok: !error, error }));
      return { ok: !error, error };
    },

    /**
     * The tenant's own server for its mail, or undefined (the platform's then). `key` names the server
     * (and version of its settings) for the sender's breaker.
     */
    async transportFor(tenantId: string): Promise<{ key: string; transport: ServerTransport } | undefined> {
      const found = await read(tenantId);
      const kept = cache.get(tenantId);
      if (!found) {
        kept?.server.close();
        cache.delete(tenantId);
        return undefined;
      }
      const version = found.updatedAt.getTime();
      if (kept?.updatedAt === version) return { key: `${tenantId}@${version}`, transport: kept.server };
      kept?.server.close();
      cache.delete(tenantId);
      const server = await connect(found);
      cache.set(tenantId, { updatedAt: version, server });
      return { key: `${tenantId}@${version}`, transport: server };
    },

    shutdown() {
      for (const { server } of cache.values()) server.close();
      cache.clear();
    },
  };
}

export type SmtpSettingsService = ReturnType<typeof createSmtpSettingsService>;
