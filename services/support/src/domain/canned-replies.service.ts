import { newId, uniqueViolation, type AuthContext, type Database } from '@geminis/service-kit';
import {
  deleteCannedReply,
  insertCannedReply,
  listCannedReplies,
  updateCannedReply,
  type CannedReply,
} from '../store/canned-replies.store';
import { viewerOf, writeScope } from './context';
import { cannedReplyNotFound, cannedTitleTaken } from './errors';
import { type CannedReplyInput, type CannedReplyPatch } from './inputs';

/** Canned replies: each tenant's staff keep their own texts to answer with. */
export function createCannedRepliesService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(auth: AuthContext, tenantId?: string): Promise<CannedReply[]> {
      const { scope } = viewerOf(auth, tenantId);
      return db.withTenant(scope, (tx) => listCannedReplies(tx, scope));
    },
    async create(auth: AuthContext, input: CannedReplyInput, tenantId?: string): Promise<CannedReply> {
      const scope = writeScope(auth, tenantId);
      try {
        return await db.withTenant(scope, (tx) => insertCannedReply(tx, scope, { id: newId(), ...input }));
      } catch (err) {
        if (uniqueViolation(err)) throw cannedTitleTaken();
        throw err;
      }
    },
    async update(auth: AuthContext, id: string, patch: CannedReplyPatch, tenantId?: string) {
      const { scope } = viewerOf(auth, tenantId);
      try {
        const c = await db.withTenant(scope, (tx) => updateCannedReply(tx, scope, id, patch));
        if (!c) throw cannedReplyNotFound();
        return c;
      } catch (err) {
        if (uniqueViolation(err)) throw cannedTitleTaken();
        throw err;
      }
    },
    async remove(auth: AuthContext, id: string, tenantId?: string): Promise<void> {
      const { scope } = viewerOf(auth, tenantId);
      const deleted = await db.withTenant(scope, (tx) => deleteCannedReply(tx, scope, id));
      if (!deleted) throw cannedReplyNotFound();
    },
  };
}

export type CannedRepliesService = ReturnType<typeof createCannedRepliesService>;
