import { requireRole, scopeFor } from '../src/auth';
import { AppError } from '../src/errors';
import { type AuthContext, type Role } from '../src/tenant';

const TENANT = '0190aaaa-0000-7000-8000-00000000000a';
const OTHER = '0190bbbb-0000-7000-8000-00000000000b';
const USER = '0190aaaa-0000-7000-8000-000000000001';
const ctx = (role: Role): AuthContext => ({
  userId: USER,
  role,
  tenantId: TENANT,
  tokenId: 'j',
  issuedAt: 0,
});

describe('scopeFor', () => {
  it('gives an admin without a filter every tenant, without an audit entry', () => {
    const audit = jest.fn();
    expect(scopeFor(ctx('admin'), undefined, audit)).toEqual({ kind: 'all' });
    expect(audit).not.toHaveBeenCalled();
  });

  it('narrows an admin to the tenant it asks for and audits the narrowing', () => {
    const audit = jest.fn();
    expect(scopeFor(ctx('admin'), OTHER, audit)).toEqual({ kind: 'tenant', tenantId: OTHER });
    expect(audit).toHaveBeenCalledWith({ userId: USER, tenantId: OTHER, reason: 'admin_narrowing' });
  });

  it.each(['reseller', 'client'] as const)('keeps a %s in its own tenant without a filter', (role) => {
    expect(scopeFor(ctx(role))).toEqual({ kind: 'tenant', tenantId: TENANT });
  });

  it.each(['reseller', 'client'] as const)('gives a %s its own tenant when it names another one', (role) => {
    const audit = jest.fn();
    expect(scopeFor(ctx(role), OTHER, audit)).toEqual({ kind: 'tenant', tenantId: TENANT });
    expect(audit).not.toHaveBeenCalled();
  });
});

describe('requireRole', () => {
  it('passes for an allowed role', () => {
    expect(() => requireRole(ctx('reseller'), 'admin', 'reseller')).not.toThrow();
  });

  it('throws a 403 for a role that is not allowed', () => {
    let error: unknown;
    try {
      requireRole(ctx('client'), 'admin', 'reseller');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 403, code: 'auth.forbidden' });
  });
});
