import { type Request, type Response } from 'express';
import { type z } from 'zod';
import { type AuthContext, type Role } from '../tenant';
import { assertSafeParams } from './input-guard';
import { parseDeclaredInput } from './request';

/**
 * Every route says who may call it: deliberately public, any authenticated caller, authenticated with the
 * roles allowed, or our own services only (the shared service key, for `/internal/*` routes). Anything
 * else is a type error and, for untyped callers, a throw at declaration.
 */
export type PublicAccess = { public: true; roles?: never; authenticated?: never; service?: never };
export type RoleAccess = {
  roles: readonly [Role, ...Role[]];
  public?: never;
  authenticated?: never;
  service?: never;
};
export type AuthenticatedAccess = { authenticated: true; public?: never; roles?: never; service?: never };
/** Called by another Geminis service with the shared service key, never by a user. */
export type ServiceAccess = { service: true; public?: never; roles?: never; authenticated?: never };
export type ProtectedAccess = RoleAccess | AuthenticatedAccess;
export type Access = PublicAccess | ProtectedAccess | ServiceAccess;

export type PublicHandler = (req: Request, res: Response) => Promise<void> | void;
/** Handlers of authenticated routes also get the verified caller (the same as `authOf(req)`). */
export type AuthenticatedHandler = (req: Request, res: Response, auth: AuthContext) => Promise<void> | void;
export type Handler = PublicHandler;
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * What a route takes, declared with the schemas its handler validates with: the input is validated before
 * the handler runs (a 400 naming the fields otherwise; `bodyOf`/`queryOf` with the same schema then return
 * the parsed value) and the same schemas describe the operation in the service's OpenAPI document.
 */
export interface RouteSpec {
  summary?: string;
  /** The JSON body (an absent body is validated as `{}`). */
  body?: z.ZodType;
  /** The query string: an object, one documented parameter per property. */
  query?: z.ZodObject;
  /**
   * The success answers, by status: the zod schema of the JSON body as it goes on the wire (dates as ISO
   * strings), or `null` for an answer without a body (204, 202). Documented in the OpenAPI part; with
   * `checkResponses` (tests) an answer that does not match exactly, with no undeclared field, is a 500.
   */
  responses?: Partial<Record<SuccessStatus, z.ZodType | null>>;
}

export type SuccessStatus = 200 | 201 | 202 | 204;

/** A declared route, normalised: `roles` is the list of roles allowed, or `public`, or `service`. */
export interface RouteDefinition {
  method: Method;
  path: string;
  access: { public: true } | { service: true } | { roles: readonly Role[] };
  spec: RouteSpec;
  handler: PublicHandler;
}

export interface RouteInfo extends RouteSpec {
  method: string;
  path: string;
  access: 'public' | 'service' | { roles: Role[] };
}

export const ALL_ROLES: readonly Role[] = ['admin', 'reseller', 'client'];

const AUTH = Symbol('geminis.auth');
type WithAuth = Request & { [AUTH]?: AuthContext };

export function setAuth(req: Request, auth: AuthContext): void {
  (req as WithAuth)[AUTH] = auth;
}

/** The verified caller, if the route is authenticated (for logging). */
export function authIfAny(req: Request): AuthContext | undefined {
  return (req as WithAuth)[AUTH];
}

/** The verified caller of an authenticated route; throws on a public route (a programming error). */
export function authOf(req: Request): AuthContext {
  const auth = (req as WithAuth)[AUTH];
  if (!auth) throw new Error('authOf() called on a route without authentication');
  return auth;
}

function normalise(method: string, path: string, access: unknown): RouteDefinition['access'] {
  const fail = () =>
    new Error(
      `route ${method.toUpperCase()} ${path} must be { public: true }, { roles: [...] }, { authenticated: true } or { service: true }`,
    );
  if (typeof access !== 'object' || access === null) throw fail();
  const a = access as Record<string, unknown>;
  const kinds = ['public', 'roles', 'authenticated', 'service'].filter((k) => a[k] !== undefined);
  if (kinds.length !== 1) throw fail();
  if (a.public === true) return { public: true };
  if (a.service === true) return { service: true };
  if (a.authenticated === true) return { roles: ALL_ROLES };
  const roles = a.roles;
  if (
    Array.isArray(roles) &&
    roles.length > 0 &&
    roles.every((r) => typeof r === 'string' && (ALL_ROLES as string[]).includes(r))
  ) {
    return { roles: [...new Set(roles as Role[])] };
  }
  throw fail();
}

interface Register {
  (path: string, access: PublicAccess | ServiceAccess, handler: PublicHandler): void;
  (path: string, access: PublicAccess | ServiceAccess, spec: RouteSpec, handler: PublicHandler): void;
  (path: string, access: ProtectedAccess, handler: AuthenticatedHandler): void;
  (path: string, access: ProtectedAccess, spec: RouteSpec, handler: AuthenticatedHandler): void;
}

export interface Routes {
  get: Register;
  post: Register;
  put: Register;
  patch: Register;
  delete: Register;
  /** The normalised declarations, for createHttpApp. */
  definitions(): readonly RouteDefinition[];
  /** For tests and docs: every route with its access rule and declared input. */
  list(): RouteInfo[];
}

export function createRoutes(): Routes {
  const definitions: RouteDefinition[] = [];
  const add =
    (method: Method): Register =>
    (
      path: string,
      access: Access,
      specOrHandler: RouteSpec | AuthenticatedHandler,
      last?: AuthenticatedHandler,
    ): void => {
      const normalised = normalise(method, path, access);
      const [spec, handler]: [RouteSpec, AuthenticatedHandler | undefined] =
        typeof specOrHandler === 'function' ? [{}, specOrHandler] : [specOrHandler, last];
      if (typeof handler !== 'function')
        throw new Error(`route ${method.toUpperCase()} ${path} has no handler`);
      const validates = spec.body !== undefined || spec.query !== undefined;
      const run: PublicHandler = (req, res) => {
        assertSafeParams(req);
        if (validates) parseDeclaredInput(req, spec);
        return 'roles' in normalised ? handler(req, res, authOf(req)) : (handler as PublicHandler)(req, res);
      };
      definitions.push({ method, path, access: normalised, spec, handler: run });
    };
  return {
    get: add('get'),
    post: add('post'),
    put: add('put'),
    patch: add('patch'),
    delete: add('delete'),
    definitions: () => definitions,
    list: () =>
      definitions.map((d) => ({
        method: d.method.toUpperCase(),
        path: d.path,
        access:
          'public' in d.access
            ? ('public' as const)
            : 'service' in d.access
              ? ('service' as const)
              : { roles: [...d.access.roles] },
        ...d.spec,
      })),
  };
}
