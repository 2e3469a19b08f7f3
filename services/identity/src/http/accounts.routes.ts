import { CreatedReseller, Reseller, ResellerPage, Text, User, UserPage } from '@geminis/contracts';
import { createRoutes, NotFoundError, tenantScope } from '@geminis/service-kit';
import { z } from 'zod';
import {
  ClientPatchInput,
  NewClientInput,
  NewResellerInput,
  OwnResellerPatchInput,
  PageInput,
  ProfilePatchInput,
  ResellerPatchInput,
} from '../domain/accounts';
import { type ClientsService } from '../domain/clients.service';
import { type ResellersService } from '../domain/resellers.service';
import { type Database } from '@geminis/service-kit';
import { findUser, updateProfile } from '../store/users.store';
import { actorOf, bodyOf, idOf, queryOf } from './request';

const SuspendInput = z.object({ reason: Text(500).optional() }).strict();
const clientNotFound = () => new NotFoundError('identity.client_not_found', 'client not found');
const resellerNotFound = () => new NotFoundError('identity.reseller_not_found', 'reseller not found');

export function accountsRoutes(deps: { db: Database; clients: ClientsService; resellers: ResellersService }) {
  const routes = createRoutes();
  const { clients, resellers, db } = deps;

  // --- the caller's own profile (never role, status, tenant or email: those are rejected) ---
  routes.get(
    '/v1/me',
    { roles: ['admin', 'reseller', 'client'] },
    { summary: 'The caller’s own profile', responses: { 200: User } },
    async (req, res) => {
      const { auth } = actorOf(req);
      const scope = tenantScope(auth.tenantId);
      const me = await db.withTenant(scope, (tx) => findUser(tx, scope, auth.userId));
      if (!me) throw new NotFoundError('identity.user_not_found', 'user not found');
      res.json(me);
    },
  );
  routes.patch(
    '/v1/me',
    { roles: ['admin', 'reseller', 'client'] },
    { summary: 'Change the caller’s own profile', body: ProfilePatchInput, responses: { 200: User } },
    async (req, res) => {
      const patch = bodyOf(req, ProfilePatchInput);
      const { auth } = actorOf(req);
      const scope = tenantScope(auth.tenantId);
      const me = await db.withTenant(scope, (tx) => updateProfile(tx, scope, auth.userId, patch));
      if (!me) throw new NotFoundError('identity.user_not_found', 'user not found');
      res.json(me);
    },
  );

  // --- a reseller's own profile (its tenant): read all of it, change its brand ---
  routes.get(
    '/v1/me/reseller',
    { roles: ['reseller'] },
    { summary: 'The calling reseller’s own profile', responses: { 200: Reseller } },
    async (req, res) => {
      const actor = actorOf(req);
      res.json(await resellers.get(actor, actor.auth.tenantId));
    },
  );
  routes.patch(
    '/v1/me/reseller',
    { roles: ['reseller'] },
    {
      summary: 'Change the calling reseller’s brand (name, logo, support email)',
      body: OwnResellerPatchInput,
      responses: { 200: Reseller },
    },
    async (req, res) => {
      const actor = actorOf(req);
      res.json(await resellers.update(actor, actor.auth.tenantId, bodyOf(req, OwnResellerPatchInput)));
    },
  );

  // --- clients: resellers their own, admins anyone (optionally narrowed with ?tenantId=) ---
  const staff = { roles: ['admin', 'reseller'] as const };
  routes.get(
    '/v1/clients',
    staff,
    {
      summary: 'List clients (admins may narrow with ?tenantId=)',
      query: PageInput,
      responses: { 200: UserPage },
    },
    async (req, res) => {
      const q = queryOf(req, PageInput);
      res.json(await clients.list(actorOf(req), q));
    },
  );
  routes.post(
    '/v1/clients',
    staff,
    { summary: 'Create a client', body: NewClientInput, responses: { 201: User } },
    async (req, res) => {
      res.status(201).json(await clients.create(actorOf(req), bodyOf(req, NewClientInput)));
    },
  );
  routes.get(
    '/v1/clients/:id',
    staff,
    { summary: 'A client', responses: { 200: User } },
    async (req, res) => {
      res.json(await clients.get(actorOf(req), idOf(req, clientNotFound)));
    },
  );
  routes.patch(
    '/v1/clients/:id',
    staff,
    { summary: 'Change a client', body: ClientPatchInput, responses: { 200: User } },
    async (req, res) => {
      const id = idOf(req, clientNotFound);
      res.json(await clients.update(actorOf(req), id, bodyOf(req, ClientPatchInput)));
    },
  );
  routes.post(
    '/v1/clients/:id/suspend',
    staff,
    { summary: 'Suspend a client', body: SuspendInput, responses: { 200: User } },
    async (req, res) => {
      res.json(await clients.suspend(actorOf(req), idOf(req, clientNotFound)));
    },
  );
  routes.post(
    '/v1/clients/:id/activate',
    staff,
    { summary: 'Re-activate a suspended client', responses: { 200: User } },
    async (req, res) => {
      res.json(await clients.activate(actorOf(req), idOf(req, clientNotFound)));
    },
  );

  // --- resellers (tenants): platform admins only ---
  const admin = { roles: ['admin'] as const };
  routes.get(
    '/v1/resellers',
    admin,
    { summary: 'List resellers', query: PageInput, responses: { 200: ResellerPage } },
    async (req, res) => {
      const { tenantId: _t, ...page } = queryOf(req, PageInput);
      res.json(await resellers.list(actorOf(req), page));
    },
  );
  routes.post(
    '/v1/resellers',
    admin,
    {
      summary: 'Create a reseller with its owner',
      body: NewResellerInput,
      responses: { 201: CreatedReseller },
    },
    async (req, res) => {
      res.status(201).json(await resellers.create(actorOf(req), bodyOf(req, NewResellerInput)));
    },
  );
  routes.get(
    '/v1/resellers/:id',
    admin,
    { summary: 'A reseller', responses: { 200: Reseller } },
    async (req, res) => {
      res.json(await resellers.get(actorOf(req), idOf(req, resellerNotFound)));
    },
  );
  routes.patch(
    '/v1/resellers/:id',
    admin,
    { summary: 'Change a reseller', body: ResellerPatchInput, responses: { 200: Reseller } },
    async (req, res) => {
      const id = idOf(req, resellerNotFound);
      res.json(await resellers.update(actorOf(req), id, bodyOf(req, ResellerPatchInput)));
    },
  );
  routes.post(
    '/v1/resellers/:id/suspend',
    admin,
    { summary: 'Suspend a reseller', body: SuspendInput, responses: { 200: Reseller } },
    async (req, res) => {
      const id = idOf(req, resellerNotFound);
      const { reason } = bodyOf(req, SuspendInput);
      res.json(await resellers.suspend(actorOf(req), id, reason));
    },
  );
  routes.post(
    '/v1/resellers/:id/activate',
    admin,
    { summary: 'Re-activate a suspended reseller', responses: { 200: Reseller } },
    async (req, res) => {
      res.json(await resellers.activate(actorOf(req), idOf(req, resellerNotFound)));
    },
  );

  return routes;
}
