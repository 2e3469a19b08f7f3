import { createHash } from 'node:crypto';
import {
  newId,
  tenantScope,
  type AuthContext,
  type Database,
  type SingleTenantScope,
  type Tx,
} from '@geminis/service-kit';
import {
  findAttachmentData,
  insertAttachment,
  listAttachments,
  totalAttachmentBytes,
  type Attachment,
} from '../store/attachments.store';
import { insertMessage } from '../store/messages.store';
import {
  findRating,
  mergedInto,
  moveTicketContent,
  saveRating,
  setMergedInto,
  type Rating,
} from '../store/ticket-extras.store';
import { findTicket, updateTicket } from '../store/tickets.store';
import { viewerOf, type Viewer } from './context';
import {
  alreadyMerged,
  attachmentNotFound,
  attachmentTooLarge,
  invalidField,
  mergeOtherClient,
  ratingNeedsClosed,
  ratingNotFound,
  ticketAttachmentsFull,
  ticketClosed,
  ticketNotFound,
} from './errors';
import { sniffType } from './sniff';
import { type Ticket } from './ticket';

/** A file name safe to store and to put in a header: no path, no control characters, at most 200 characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = [...base]
    .filter((c) => c !== '"' && c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f)
    .join('')
    .trim()
    .slice(0, 200);
  return clean && clean !== '.' && clean !== '..' ? clean : 'file';
}

/**
 * What a ticket carries besides its messages: attachments (type sniffed from the bytes, size-limited,
 * stored with the ticket), merging two tickets of one client, and the client's rating once it is closed.
 */
export function createTicketExtrasService(deps: {
  db: Database;
  maxAttachmentBytes?: number;
  maxTicketBytes?: number;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const maxBytes = deps.maxAttachmentBytes ?? 512 * 1024;
  const maxTicketBytes = deps.maxTicketBytes ?? 20 * 1024 * 1024;

  const onTicket = <T>(
    viewer: Viewer,
    id: string,
    fn: (tx: Tx, ticket: Ticket, scope: SingleTenantScope) => Promise<T>,
    forUpdate = false,
  ): Promise<T> =>
    db.withTenant(viewer.scope, async (tx) => {
      const ticket = await findTicket(tx, viewer, id, { forUpdate });
      if (!ticket) throw ticketNotFound();
      return fn(tx, ticket, tenantScope(ticket.tenantId));
    });

  /** The upload rules (non-empty, size, a sniffed allowed type), before anything is read or written. */
  function checked(file: { filename: string; data: Buffer }) {
    if (file.data.length === 0) throw invalidField('support.attachment_empty', 'file', 'the file is empty');
    if (file.data.length > maxBytes) throw attachmentTooLarge(maxBytes);
    const type = sniffType(file.data);
    if (!type)
      throw invalidField(
        'support.attachment_type_refused',
        'file',
        'only PNG, JPEG, GIF, WebP, PDF and plain text files are accepted',
      );
    return type;
  }

  /** Stores a file on a ticket in the caller's transaction (the ticket already found, and locked). */
  async function attachIn(
    tx: Tx,
    scope: SingleTenantScope,
    ticket: Ticket,
    file: { filename: string; data: Buffer },
    by: { author: 'client' | 'staff'; authorId: string },
  ): Promise<Attachment> {
    const type = checked(file);
    if (ticket.status === 'closed') throw ticketClosed();
    if ((await totalAttachmentBytes(tx, scope, ticket.id)) + file.data.length > maxTicketBytes)
      throw ticketAttachmentsFull(maxTicketBytes);
    return insertAttachment(
      tx,
      scope,
      {
        id: newId(),
        ticketId: ticket.id,
        filename: safeFilename(file.filename),
        contentType: type,
        size: file.data.length,
        sha256: createHash('sha256').update(file.data).digest('hex'),
        data: file.data,
        author: by.author,
        authorId: by.authorId,
      },
      now(),
    );
  }

  return {
    attachIn,

    async attach(
      auth: AuthContext,
      ticketId: string,
      file: { filename: string; data: Buffer },
      tenantId?: string,
    ): Promise<Attachment> {
      checked(file);
      const viewer = viewerOf(auth, tenantId);
      const by = {
        author: auth.role === 'client' ? ('client' as const) : ('staff' as const),
        authorId: auth.userId,
      };
      return onTicket(viewer, ticketId, (tx, ticket, scope) => attachIn(tx, scope, ticket, file, by), true);
    },

    async list(auth: AuthContext, ticketId: string, tenantId?: string): Promise<Attachment[]> {
      return onTicket(viewerOf(auth, tenantId), ticketId, (tx, ticket, scope) =>
        listAttachments(tx, scope, ticket.id),
      );
    },

    /** An attachment's bytes, for whoever may see its ticket (anyone else: the same 404 as a missing one). */
    async download(auth: AuthContext, id: string, tenantId?: string) {
      const viewer = viewerOf(auth, tenantId);
      return db.withTenant(viewer.scope, async (tx) => {
        const a = await findAttachmentData(tx, viewer.scope, id);
        if (!a || !(await findTicket(tx, viewer, a.ticketId))) throw attachmentNotFound();
        return a;
      });
    },

    async rating(auth: AuthContext, ticketId: string, tenantId?: string): Promise<Rating> {
      return onTicket(viewerOf(auth, tenantId), ticketId, async (tx, ticket, scope) => {
        const r = await findRating(tx, scope, ticket.id);
        if (!r) throw ratingNotFound();
        return r;
      });
    },

    /**
     * Merges a ticket into another of the same client: its messages and attachments move, it is closed
     * and remembers where it went (mail to its reply address follows), and the target notes the merge.
     */
    async merge(auth: AuthContext, id: string, intoId: string, tenantId?: string): Promise<string> {
      if (id === intoId) throw invalidField('support.merge_into_itself', 'intoTicketId', 'the same ticket');
      const viewer = viewerOf(auth, tenantId);
      const at = now();
      return db.withTenant(viewer.scope, async (tx) => {
        // lock both, in id order (two merges the other way round cannot deadlock)
        const [first, second] = [id, intoId].sort();
        const locked = new Map<string, Ticket | undefined>();
        for (const x of [first!, second!])
          locked.set(x, await findTicket(tx, viewer, x, { forUpdate: true }));
        const source = locked.get(id);
        const target = locked.get(intoId);
        if (!source) throw ticketNotFound();
        if (!target) throw invalidField('support.merge_target_unknown', 'intoTicketId', 'no such ticket');
        if (source.tenantId !== target.tenantId || source.clientId !== target.clientId)
          throw mergeOtherClient();
        const scope = tenantScope(source.tenantId);
        if (await mergedInto(tx, scope, source.id)) throw alreadyMerged();
        if (target.status === 'closed') throw ticketClosed();
        await moveTicketContent(tx, scope, source.id, target.id);
        await insertMessage(
          tx,
          scope,
          target.id,
          {
            id: newId(),
            authorId: auth.userId,
            author: 'system',
            body: `The ticket “${source.subject}” was merged into this one.`,
            internal: false,
          },
          at,
        );
        await updateTicket(tx, scope, source.id, { status: 'closed' }, at);
        await updateTicket(tx, scope, target.id, {}, at);
        await setMergedInto(tx, scope, source.id, target.id);
        return target.id;
      });
    },

    /** The client rates its own closed ticket (1–5, an optional comment); rating again replaces it. */
    async rate(
      auth: AuthContext,
      ticketId: string,
      input: { score: number; comment?: string | undefined },
    ): Promise<Rating> {
      const viewer = viewerOf(auth);
      return onTicket(viewer, ticketId, async (tx, ticket, scope) => {
        if (ticket.status !== 'closed') throw ratingNeedsClosed();
        return saveRating(tx, scope, {
          ticketId: ticket.id,
          clientId: ticket.clientId,
          score: input.score,
          comment: input.comment ?? null,
          at: now(),
        });
      });
    },
  };
}

export type TicketExtrasService = ReturnType<typeof createTicketExtrasService>;
