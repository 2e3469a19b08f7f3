import { type PanelModule } from '@geminis/contracts';
import { type Credentials } from '../domain/inputs';

/** Which account on a panel: its user name, and its primary domain where the panel keys on it (Plesk). */
export interface AccountRef {
  username: string;
  domain: string | null;
}

/** An account as the panel reports it. */
export interface PanelAccount {
  username: string;
  domain: string | null;
  suspended: boolean;
  package: string | null;
}

export interface NewPanelAccount {
  username: string;
  domain: string;
  password: string;
  package: string;
  email: string;
  /** The client's name (Plesk's customer `pname`). */
  contactName: string;
  reseller: boolean;
}

/**
 * The one module contract every panel adapter implements. Every method either does what it says or throws
 * a PanelError; the adapter normalises its API's envelopes into that error in one place.
 */
export interface PanelAdapter {
  testConnection(): Promise<void>;
  /** The account, or null when the panel has no account of that name. */
  lookup(ref: AccountRef): Promise<PanelAccount | null>;
  create(account: NewPanelAccount): Promise<void>;
  suspend(ref: AccountRef, reason: string): Promise<void>;
  unsuspend(ref: AccountRef): Promise<void>;
  terminate(ref: AccountRef): Promise<void>;
  changePackage(ref: AccountRef, pkg: string): Promise<void>;
  changePassword(ref: AccountRef, password: string): Promise<void>;
  /** Disk and this month's bandwidth of an account, in bytes (null where the panel reports none). */
  usage?(ref: AccountRef): Promise<PanelUsage>;
  /**
   * A one-time single sign-on URL into the account's panel; absent where the panel has none we use.
   * `userIp`: the browser's address, for panels that bind the session to it (Plesk).
   */
  loginUrl?(ref: AccountRef, opts?: { userIp?: string }): Promise<string>;
}

export interface PanelUsage {
  diskBytes: number | null;
  bandwidthBytes: number | null;
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A size as panels write it ("14M", "1.5G", "0"), in bytes; null when it is not one. */
export function sizeToBytes(text: unknown, defaultUnit = 'M'): number | null {
  if (typeof text === 'number') return Number.isFinite(text) ? Math.round(text * UNITS[defaultUnit]!) : null;
  if (typeof text !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([BKMGT]?)i?B?\s*$/i.exec(text);
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[(m[2] || defaultUnit).toUpperCase()]!);
}

/** How to reach one server's panel. */
export interface PanelConnection {
  serverId: string;
  module: PanelModule;
  hostname: string;
  port: number;
  tls: boolean;
  /** The shared IP new accounts go on, when the server names one. */
  ipAddress: string | null;
  credentials: Credentials;
}

/**
 * - `auth`: the panel refused our credentials (staff must fix the server);
 * - `rejected`: the panel understood and said no (bad package, name taken): repeating will not help;
 * - `not_found`: no such account;
 * - `unavailable`: not reached, a 5xx, or the server's breaker is open: try again later;
 * - `timeout`: sent, no answer in time: the call may have happened — read state before retrying.
 */
export type PanelErrorKind = 'auth' | 'rejected' | 'not_found' | 'unavailable' | 'timeout';

export class PanelError extends Error {
  override name = 'PanelError';
  /** The body of a 5xx answer, when the caller asked to keep it (a registrar explaining its refusal). */
  response?: { status: number; text: string };
  constructor(
    readonly kind: PanelErrorKind,
    message: string,
  ) {
    super(message);
  }

  /** Whether a later attempt may succeed without anyone changing anything. */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'timeout';
  }
}

export const isPanelError = (err: unknown): err is PanelError => err instanceof PanelError;
