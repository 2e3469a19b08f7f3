/** The slice of a pino logger the bus adapters use (pino's `logger.warn(obj, msg)` fits). */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const noop = (): void => undefined;

export const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
