/**
 * Panel user names, derived from the service's domain by the strictest panel's rules (cPanel: lower-case
 * letters and digits, no leading digit, not starting with "test", at most 8 characters that must be unique
 * on the server; DirectAdmin and Plesk accept the same). The same service and attempt always give the
 * same name, so a retried job asks the panel about the name it may already have created.
 */
export const MAX_USERNAME = 8;

export function usernameBase(domain: string | null, serviceId: string): string {
  const label = (domain ?? '').split('.')[0] ?? '';
  let base = label.toLowerCase().replace(/[^a-z0-9]/g, '');
  base = base.replace(/^[0-9]+/, '');
  if (base.startsWith('test')) base = `u${base}`;
  if (base.length < 2) base = `u${serviceId.replace(/[^a-f]/g, '').slice(0, 6) || 'acct'}`;
  return base.slice(0, MAX_USERNAME);
}

/** The n-th candidate: the base, then the base shortened to make room for a number (`example`, `exampl1`…). */
export function usernameCandidate(base: string, n: number): string {
  if (n === 0) return base.slice(0, MAX_USERNAME);
  const suffix = String(n);
  return `${base.slice(0, MAX_USERNAME - suffix.length)}${suffix}`;
}

/** Candidates tried per base: every one below this starts with the base's first four characters. */
export const MAX_CANDIDATES = 10_000;

/** The first candidate of `base` (from the n-th on) that is not in `taken`, or undefined. */
export function freeCandidate(base: string, taken: Set<string>, from = 0): string | undefined {
  for (let n = from; n < MAX_CANDIDATES; n++) {
    const candidate = usernameCandidate(base, n);
    if (!taken.has(candidate)) return candidate;
  }
  return undefined;
}
