import { join } from 'node:path';
import {
  createTokenVerifier,
  refusingRevoked,
  type BuiltService,
  type ServiceDefinition,
} from '@geminis/service-kit';
import { type IdentityConfig } from './config';
import { createAuditService } from './domain/audit.service';
import { createAuthService } from './domain/auth.service';
import { createClientsService } from './domain/clients.service';
import { PLATFORM_TENANT_ID } from './domain/context';
import { createCipher } from './domain/crypto';
import { createKeysService } from './domain/keys.service';
import { createPasswordService } from './domain/password.service';
import { createPasswordHasher } from './domain/passwords';
import { createResellersService } from './domain/resellers.service';
import { createSettingsService } from './domain/settings.service';
import { createTenantsService } from './domain/tenants.service';
import { createThrottle, throttleCleanupJob } from './domain/throttle';
import { createTwoFactorService } from './domain/twofactor.service';
import { accountsRoutes } from './http/accounts.routes';
import { adminRoutes } from './http/admin.routes';
import { authRoutes } from './http/auth.routes';
import { internalRoutes } from './http/internal.routes';

export { identityConfigFrom, type IdentityConfig } from './config';
export { seedIdentityDemo, DEMO_PASSWORDS, type IdentityDemo } from './seed';

export const IDENTITY_MIGRATIONS = { name: 'identity', dir: join(__dirname, 'store', 'migrations') };

export interface IdentityBuilt extends BuiltService {
  /** The use cases, for the composition root (demo seed) and tests. */
  services: ReturnType<typeof wire>;
}

function wire(config: IdentityConfig, ctx: Parameters<ServiceDefinition['build']>[0]) {
  const { db, outbox } = ctx;
  const accessTokenTtlSec = config.accessTokenTtlSec ?? 900;
  const cipher = createCipher(config.encryptionKey);
  const hasher = createPasswordHasher(config.argon2Concurrency ?? 2);
  const keys = createKeysService({
    db,
    cipher,
    issuer: config.issuer,
    audience: config.audience,
    accessTokenTtlSec,
  });
  const tenants = createTenantsService({ db, lookupCacheMs: config.tenantLookupCacheMs ?? 5_000 });
  const audit = createAuditService({ db });
  const settings = createSettingsService({ db, outbox, cipher });
  const clients = createClientsService({
    db,
    outbox,
    hasher,
    tenants,
    signupNoticeWindowSec: config.signupNoticeWindowSec ?? 3600,
  });
  const resellers = createResellersService({ db, outbox, hasher, onChange: () => tenants.forget() });
  const throttle = createThrottle({
    db,
    rule: { threshold: config.lockoutThreshold ?? 5, maxSec: config.lockoutSec ?? 900 },
  });
  const auth = createAuthService({
    db,
    throttle,
    hasher,
    keys,
    tenants,
    audit,
    settings: {
      accessTokenTtlSec,
      refreshTokenTtlSec: config.refreshTokenTtlSec ?? 30 * 24 * 3600,
      lockoutThreshold: config.lockoutThreshold ?? 5,
      lockoutSec: config.lockoutSec ?? 900,
    },
    async twoFactorRequired(user) {
      if (user.role === 'admin')
        return (await settings.policy(PLATFORM_TENANT_ID))['security.require2faForAdmins'] === true;
      if (user.role === 'client')
        return (await settings.policy(user.tenantId))['security.require2faForClients'] === true;
      return false;
    },
  });
  const passwords = createPasswordService({
    db,
    outbox,
    hasher,
    cipher,
    resetTokenTtlSec: config.resetTokenTtlSec ?? 3600,
  });
  const twoFactor = createTwoFactorService({ db, cipher, issuer: config.issuer, auth, throttle, hasher });
  return { cipher, hasher, keys, tenants, audit, settings, clients, resellers, auth, passwords, twoFactor };
}

/** The identity service: who is who, which tenant they belong to, and the keys every other service trusts. */
export function identityService(config: IdentityConfig): ServiceDefinition<IdentityBuilt> {
  return {
    name: 'identity',
    migrations: [IDENTITY_MIGRATIONS],
    async build(ctx) {
      const services = wire(config, ctx);
      await services.keys.ensureSigningKey();
      // Its own tokens, and refused once revoked: a suspended user, a suspended reseller's users, and
      // a session ended by logout, a password change or refresh-token reuse get 401 here at once.
      const verifier = refusingRevoked(
        createTokenVerifier({
          issuer: config.issuer,
          audience: config.audience,
          keyResolver: (kid) => services.keys.resolve(kid),
        }),
        services.tenants,
      );
      return {
        services,
        verifier,
        jobs: [throttleCleanupJob(ctx.db)],
        routes: [
          authRoutes(services),
          accountsRoutes({ db: ctx.db, ...services }),
          adminRoutes({ db: ctx.db, ...services }),
          internalRoutes(services),
        ],
      };
    },
  };
}
