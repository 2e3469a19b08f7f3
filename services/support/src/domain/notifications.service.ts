import {
  newId,
  tenantScope,
  type AuthContext,
  type Database,
  type SingleTenantScope,
  type Tx,
} from '@geminis/service-kit';
import {
  deleteOverride,
  enqueueMail,
  findOverride,
  findRecipient,
  listMails,
  listOverrides,
  saveOverride,
  upsertRecipient,
  type Mail,
  type MailStatus,
  type Recipient,
  type TemplateOverride,
} from '../store/mail.store';
import { type BrandsService } from './brands.service';
import { writeScope } from './context';
import { invalidField, templateNotFound } from './errors';
import {
  isTemplateKey,
  languageOf,
  render,
  TEMPLATES,
  templateProblem,
  type MailLanguage,
  type RenderedMail,
  type TemplateKey,
} from './mail-templates';

export interface MailRequest {
  /** The event (or message) the mail answers: with the template, what makes it once-only. */
  eventId: string;
  template: TemplateKey;
  clientId: string;
  /** An explicit address (a user support may not know as a client, e.g. a reseller's password reset). */
  to?: { email: string; name: string; language: string };
  /** The template's variables, in the client's language (e.g. amounts formatted for it). */
  vars: Record<string, string> | ((language: MailLanguage) => Record<string, string>);
  replyTo?: string;
}

export interface TemplateText {
  subject: string;
  html: string;
  text: string;
}

/**
 * Customer notifications: mails queued from events (in the event's inbox transaction, one per event and
 * template), the templates a tenant overrides per language, their preview, and the mail log.
 */
export function createNotificationsService(deps: {
  db: Database;
  brands: BrandsService;
  /**
   * Values fetched only when a mail is rendered, never stored (a password reset's link): merged over the
   * stored variables. Throwing with a `responseCode` of 5xx fails the mail for good.
   */
  secretVars?: (mail: Mail) => Promise<Record<string, string>>;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  const templateOf = (key: string): TemplateKey => {
    if (!isTemplateKey(key)) throw templateNotFound();
    return key;
  };

  /** The text a tenant's mail uses: its override for the language, else the platform's default. */
  async function textFor(tx: Tx, scope: SingleTenantScope, key: TemplateKey, language: MailLanguage) {
    const o = await findOverride(tx, scope, key, language);
    return o ? { subject: o.subject, html: o.html, text: o.text } : TEMPLATES[key].defaults[language];
  }

  async function renderFor(
    tenantId: string,
    key: TemplateKey,
    language: MailLanguage,
    vars: Record<string, string>,
    override?: TemplateText,
  ): Promise<RenderedMail> {
    const scope = tenantScope(tenantId);
    const text = override ?? (await db.withTenant(scope, (tx) => textFor(tx, scope, key, language)));
    const brand = await deps.brands.brandFor(tenantId);
    return render(text, {
      ...vars,
      brandName: brand.brandName,
      logoUrl: brand.logoUrl ?? '',
      supportEmail: brand.supportEmail ?? '',
    });
  }

  return {
    async recordRecipient(tx: Tx, scope: SingleTenantScope, r: Recipient) {
      await upsertRecipient(tx, scope, r);
    },

    /**
     * Queues a mail to a client in the caller's transaction. Without a known address the mail is logged
     * as failed (staff see it in the log); a second request for the same event and template adds nothing.
     */
    async queue(tx: Tx, scope: SingleTenantScope, m: MailRequest): Promise<boolean> {
      const r = m.to
        ? { ...m.to, clientId: m.clientId, ...(await findRecipient(tx, scope, m.clientId)) }
        : await findRecipient(tx, scope, m.clientId);
      const language = languageOf(r?.language);
      const vars = {
        clientName: r?.name ?? '',
        ...(typeof m.vars === 'function' ? m.vars(language) : m.vars),
      };
      return enqueueMail(
        tx,
        scope,
        {
          id: newId(),
          eventId: m.eventId,
          template: m.template,
          clientId: m.clientId,
          recipient: r?.email ?? null,
          language,
          vars,
          replyTo: m.replyTo ?? null,
          // without an address yet the mail waits: the client's announcement may still be on its way
          status: 'pending',
          lastError: r ? null : 'no email address is known for this client (yet)',
        },
        now(),
      );
    },

    /** Renders a queued mail as it goes out now (its tenant's template and brand). */
    async renderMail(mail: Mail): Promise<RenderedMail> {
      const secret = deps.secretVars ? await deps.secretVars(mail) : {};
      return renderFor(mail.tenantId, templateOf(mail.template), languageOf(mail.language), {
        ...mail.vars,
        ...secret,
      });
    },

    /** Every template with its variables, and which languages the tenant overrides. */
    async listTemplates(auth: AuthContext, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const overrides = await db.withTenant(scope, (tx) => listOverrides(tx, scope));
      return Object.entries(TEMPLATES).map(([key, t]) => ({
        key,
        description: t.description,
        variables: [...t.variables],
        overridden: overrides.filter((o) => o.template === key).map((o) => o.language),
      }));
    },

    async getTemplate(auth: AuthContext, key: string, language: MailLanguage, tenantId?: string) {
      const k = templateOf(key);
      const scope = writeScope(auth, tenantId);
      const o = await db.withTenant(scope, (tx) => findOverride(tx, scope, k, language));
      return { key: k, language, overridden: !!o, ...(o ?? TEMPLATES[k].defaults[language]) };
    },

    async saveTemplate(
      auth: AuthContext,
      key: string,
      language: MailLanguage,
      input: TemplateText,
      tenantId?: string,
    ): Promise<TemplateOverride> {
      const k = templateOf(key);
      for (const field of ['subject', 'html', 'text'] as const) {
        const problem = templateProblem(k, input[field]);
        if (problem) throw invalidField('support.template_invalid', field, problem);
      }
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, (tx) => saveOverride(tx, scope, { template: k, language, ...input }));
    },

    async resetTemplate(auth: AuthContext, key: string, language: MailLanguage, tenantId?: string) {
      const k = templateOf(key);
      const scope = writeScope(auth, tenantId);
      if (!(await db.withTenant(scope, (tx) => deleteOverride(tx, scope, k, language))))
        throw templateNotFound();
    },

    /** A template rendered with sample data in the tenant's brand (the text given, or the one in use). */
    async preview(
      auth: AuthContext,
      key: string,
      language: MailLanguage,
      input: Partial<TemplateText>,
      tenantId?: string,
    ): Promise<RenderedMail> {
      const k = templateOf(key);
      const scope = writeScope(auth, tenantId);
      const current = await db.withTenant(scope, (tx) => textFor(tx, scope, k, language));
      const text = { ...current, ...input };
      for (const field of ['subject', 'html', 'text'] as const) {
        const problem = templateProblem(k, text[field]);
        if (problem) throw invalidField('support.template_invalid', field, problem);
      }
      return renderFor(scope.tenantId, k, language, TEMPLATES[k].sample, text);
    },

    async mailLog(
      auth: AuthContext,
      q: { clientId?: string; status?: MailStatus; cursor?: string; limit: number; tenantId?: string },
    ): Promise<{ items: Mail[]; nextCursor: string | null }> {
      const scope = writeScope(auth, q.tenantId);
      const page = await db.withTenant(scope, (tx) =>
        listMails(tx, scope, {
          ...(q.clientId ? { clientId: q.clientId } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.cursor ? { before: q.cursor } : {}),
          limit: q.limit,
        }),
      );
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? last.id : null };
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
