import { CannedReplyList, CannedReplyView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type CannedRepliesService } from '../domain/canned-replies.service';
import { cannedReplyNotFound } from '../domain/errors';
import { CannedReplyInput, CannedReplyPatch } from '../domain/inputs';
import { bodyOf, idOf, STAFF, TenantQuery, tenantOf } from './request';
import { cannedReplyView } from './views';

/** Canned replies of the caller's tenant (staff only). */
export function cannedRepliesRoutes(deps: { cannedReplies: CannedRepliesService }) {
  const { cannedReplies } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/support/canned-replies',
    STAFF,
    { summary: 'List canned replies', query: TenantQuery, responses: { 200: CannedReplyList } },
    async (req, res, auth) => {
      res.json({ items: (await cannedReplies.list(auth, tenantOf(req))).map(cannedReplyView) });
    },
  );
  routes.post(
    '/v1/support/canned-replies',
    STAFF,
    {
      summary: 'Create a canned reply',
      query: TenantQuery,
      body: CannedReplyInput,
      responses: { 201: CannedReplyView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, CannedReplyInput);
      res.status(201).json(cannedReplyView(await cannedReplies.create(auth, input, tenantOf(req))));
    },
  );
  routes.patch(
    '/v1/support/canned-replies/:id',
    STAFF,
    {
      summary: 'Change a canned reply',
      query: TenantQuery,
      body: CannedReplyPatch,
      responses: { 200: CannedReplyView },
    },
    async (req, res, auth) => {
      const id = idOf(req, cannedReplyNotFound);
      const patch = bodyOf(req, CannedReplyPatch);
      res.json(cannedReplyView(await cannedReplies.update(auth, id, patch, tenantOf(req))));
    },
  );
  routes.delete(
    '/v1/support/canned-replies/:id',
    STAFF,
    { summary: 'Delete a canned reply', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await cannedReplies.remove(auth, idOf(req, cannedReplyNotFound), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
