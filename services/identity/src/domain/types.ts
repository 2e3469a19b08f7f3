import { type Role } from '@geminis/service-kit';

export type UserStatus = 'active' | 'inactive' | 'suspended';
export type ResellerStatus = 'active' | 'suspended';

export interface User {
  id: string;
  tenantId: string;
  role: Role;
  status: UserStatus;
  email: string;
  name: string;
  language: string;
  currency: string;
  twoFactorEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A user with what only the auth code may see. */
export interface UserCredentials extends User {
  passwordHash: string;
  failedLogins: number;
  lockedUntil: Date | null;
  totpSecretEnc: string | null;
  totpPendingSecretEnc: string | null;
  totpLastStep: number | null;
}

export interface Reseller {
  id: string;
  slug: string;
  brandName: string;
  logoUrl: string | null;
  supportEmail: string | null;
  customDomains: string[];
  allowCustomProducts: boolean;
  status: ResellerStatus;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}
