/** drizzle wraps the driver error; PostgreSQL's SQLSTATE and constraint are on it or on its cause. */
export function uniqueViolation(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth += 1) {
    const x = e as { code?: string; constraint?: string; cause?: unknown };
    if (x.code === '23505') return x.constraint ?? 'unique';
    e = x.cause;
  }
  return undefined;
}
