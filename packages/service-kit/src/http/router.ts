import { type Request, type Response } from 'express';
import { type AuthContext, type Role } from '../tenant';

/** Every route says who may call it: deliberately public, or authenticated with the roles allowed. */
export type Access = { public: true } | { roles: readonly Role[] };

export type Handler = (req: Request, res: Response) => Promise<void> | void;
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDefinition {
  method: Method;
  path: string;
  access: Access;
  handler: Handler;
}

const AUTH = Symbol('geminis.auth');
type WithAuth = Request & { [AUTH]?: AuthContext };

export function setAuth(req: Request, auth: AuthContext): void {
  (req as WithAuth)[AUTH] = auth;
}

/** The verified caller of an authenticated route. */
export function authOf(req: Request): AuthContext {
  const auth = (req as WithAuth)[AUTH];
  if (!auth) throw new Error('authOf() called on a public route');
  return auth;
}

export const ALL_ROLES: readonly Role[] = ['admin', 'reseller', 'client'];

function checkAccess(method: string, path: string, access: Access): void {
  const ok =
    typeof access === 'object' &&
    access !== null &&
    (('public' in access && access.public === true) ||
      ('roles' in access && Array.isArray(access.roles) && access.roles.length > 0));
  if (!ok)
    throw new Error(`route ${method.toUpperCase()} ${path} must be { public: true } or { roles: [...] }`);
}

export function createRoutes() {
  const definitions: RouteDefinition[] = [];
  const add = (method: Method) => (path: string, access: Access, handler: Handler) => {
    checkAccess(method, path, access);
    definitions.push({ method, path, access, handler });
  };
  return {
    get: add('get'),
    post: add('post'),
    put: add('put'),
    patch: add('patch'),
    delete: add('delete'),
    definitions: (): readonly RouteDefinition[] => definitions,
    /** For tests and docs: every route with its access rule. */
    list: () =>
      definitions.map((d) => ({
        method: d.method.toUpperCase(),
        path: d.path,
        access: 'public' in d.access ? ('public' as const) : { roles: [...d.access.roles] },
      })),
  };
}

export type Routes = ReturnType<typeof createRoutes>;
