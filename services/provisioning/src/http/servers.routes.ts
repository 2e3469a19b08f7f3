import {
  ConnectionTestView,
  ServerGroupList,
  ServerGroupView,
  ServerList,
  ServerView,
} from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { groupNotFound, serverNotFound } from '../domain/errors';
import { GroupInput, GroupPatch, ServerInput, ServerPatch } from '../domain/inputs';
import { type ServerGroupsService } from '../domain/server-groups.service';
import { type ServersService } from '../domain/servers.service';
import { bodyOf, idOf, STAFF, TenantQuery, tenantOf } from './request';

/** Servers and server groups: staff only, each tenant its own (credentials go in, never come out). */
export function serversRoutes(deps: { servers: ServersService; serverGroups: ServerGroupsService }) {
  const { servers, serverGroups } = deps;
  const routes = createRoutes();

  routes.get(
    '/v1/server-groups',
    STAFF,
    { summary: 'List server groups', query: TenantQuery, responses: { 200: ServerGroupList } },
    async (req, res, auth) => {
      res.json({ items: await serverGroups.list(auth, tenantOf(req)) });
    },
  );
  routes.post(
    '/v1/server-groups',
    STAFF,
    {
      summary: 'Create a server group',
      query: TenantQuery,
      body: GroupInput,
      responses: { 201: ServerGroupView },
    },
    async (req, res, auth) => {
      res.status(201).json(await serverGroups.create(auth, bodyOf(req, GroupInput), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/server-groups/:id',
    STAFF,
    { summary: 'A server group', query: TenantQuery, responses: { 200: ServerGroupView } },
    async (req, res, auth) => {
      res.json(await serverGroups.get(auth, idOf(req, groupNotFound), tenantOf(req)));
    },
  );
  routes.patch(
    '/v1/server-groups/:id',
    STAFF,
    {
      summary: 'Change a server group',
      query: TenantQuery,
      body: GroupPatch,
      responses: { 200: ServerGroupView },
    },
    async (req, res, auth) => {
      const id = idOf(req, groupNotFound);
      res.json(await serverGroups.update(auth, id, bodyOf(req, GroupPatch), tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/server-groups/:id',
    STAFF,
    { summary: 'Delete an empty server group', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await serverGroups.remove(auth, idOf(req, groupNotFound), tenantOf(req));
      res.status(204).end();
    },
  );

  routes.get(
    '/v1/servers',
    STAFF,
    { summary: 'List servers', query: TenantQuery, responses: { 200: ServerList } },
    async (req, res, auth) => {
      res.json({ items: await servers.list(auth, tenantOf(req)) });
    },
  );
  routes.post(
    '/v1/servers',
    STAFF,
    {
      summary: 'Add a server (credentials are stored encrypted)',
      query: TenantQuery,
      body: ServerInput,
      responses: { 201: ServerView },
    },
    async (req, res, auth) => {
      res.status(201).json(await servers.create(auth, bodyOf(req, ServerInput), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/servers/:id',
    STAFF,
    { summary: 'A server', query: TenantQuery, responses: { 200: ServerView } },
    async (req, res, auth) => {
      res.json(await servers.get(auth, idOf(req, serverNotFound), tenantOf(req)));
    },
  );
  routes.patch(
    '/v1/servers/:id',
    STAFF,
    {
      summary: 'Change a server (new credentials replace the old)',
      query: TenantQuery,
      body: ServerPatch,
      responses: { 200: ServerView },
    },
    async (req, res, auth) => {
      const id = idOf(req, serverNotFound);
      res.json(await servers.update(auth, id, bodyOf(req, ServerPatch), tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/servers/:id',
    STAFF,
    { summary: 'Remove a server without accounts', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await servers.remove(auth, idOf(req, serverNotFound), tenantOf(req));
      res.status(204).end();
    },
  );
  routes.post(
    '/v1/servers/:id/test-connection',
    STAFF,
    {
      summary: "Check the server's credentials against its panel",
      query: TenantQuery,
      responses: { 200: ConnectionTestView },
    },
    async (req, res, auth) => {
      res.json(await servers.testConnection(auth, idOf(req, serverNotFound), tenantOf(req)));
    },
  );
  return routes;
}
