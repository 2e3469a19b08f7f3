import { DepartmentList, DepartmentView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type DepartmentsService } from '../domain/departments.service';
import { departmentNotFound } from '../domain/errors';
import { DepartmentInput, DepartmentPatch } from '../domain/inputs';
import { ANYONE, bodyOf, idOf, STAFF, TenantQuery, tenantOf } from './request';
import { departmentView } from './views';

/** Departments: staff manage their tenant's; clients list the ones they may open tickets in. */
export function departmentsRoutes(deps: { departments: DepartmentsService }) {
  const { departments } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/support/departments',
    ANYONE,
    { summary: 'List support departments', query: TenantQuery, responses: { 200: DepartmentList } },
    async (req, res, auth) => {
      res.json({ items: (await departments.list(auth, tenantOf(req))).map(departmentView) });
    },
  );
  routes.post(
    '/v1/support/departments',
    STAFF,
    {
      summary: 'Create a support department',
      query: TenantQuery,
      body: DepartmentInput,
      responses: { 201: DepartmentView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, DepartmentInput);
      res.status(201).json(departmentView(await departments.create(auth, input, tenantOf(req))));
    },
  );
  routes.get(
    '/v1/support/departments/:id',
    STAFF,
    { summary: 'A support department', query: TenantQuery, responses: { 200: DepartmentView } },
    async (req, res, auth) => {
      res.json(departmentView(await departments.get(auth, idOf(req, departmentNotFound), tenantOf(req))));
    },
  );
  routes.patch(
    '/v1/support/departments/:id',
    STAFF,
    {
      summary: 'Change a support department',
      query: TenantQuery,
      body: DepartmentPatch,
      responses: { 200: DepartmentView },
    },
    async (req, res, auth) => {
      const id = idOf(req, departmentNotFound);
      const patch = bodyOf(req, DepartmentPatch);
      res.json(departmentView(await departments.update(auth, id, patch, tenantOf(req))));
    },
  );
  routes.delete(
    '/v1/support/departments/:id',
    STAFF,
    { summary: 'Delete a department no ticket uses', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await departments.remove(auth, idOf(req, departmentNotFound), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
