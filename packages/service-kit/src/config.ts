import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Configuration is validated once at boot (STYLE.md). `loadConfig` lists EVERY invalid variable at once.
 * Secrets are declared with `secret()`: in production mode a missing one is an error like any other; in
 * embedded mode a random development value is generated and reported, so nothing ships a default secret.
 */
export const baseConfig = {
  GEMINIS_MODE: z.enum(['embedded', 'production']).default('embedded'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
};

const SECRET = Symbol('geminis.secret');
type SecretSchema = z.ZodOptional<z.ZodString> & { [SECRET]: true };

/** A secret variable: required in production, generated in embedded mode. */
export function secret(minLength = 16): SecretSchema {
  const schema = z.string().min(minLength).optional() as SecretSchema;
  schema[SECRET] = true;
  return schema;
}

const isSecret = (schema: unknown): boolean =>
  typeof schema === 'object' && schema !== null && (schema as Record<symbol, unknown>)[SECRET] === true;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig<T> {
  config: T;
  /** Secrets that were generated because the mode is embedded (names only). */
  generated: string[];
}

type Env = Record<string, string | undefined>;

export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Env = process.env,
): LoadedConfig<z.infer<z.ZodObject<S>>> {
  const schema = z.object(shape);
  const values: Env = {};
  for (const key of Object.keys(shape)) values[key] = env[key] === '' ? undefined : env[key];
  const problems: string[] = [];
  const result = schema.safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues)
      problems.push(`${issue.path.join('.') || '(env)'}: ${issue.message}`);
  }
  const mode = env.GEMINIS_MODE ?? 'embedded';
  const generated: string[] = [];
  const config = (result.success ? result.data : {}) as Record<string, unknown>;
  for (const [key, field] of Object.entries(shape)) {
    if (!isSecret(field) || values[key] !== undefined) continue;
    if (mode === 'production') problems.push(`${key}: required in production mode`);
    else {
      config[key] = randomBytes(32).toString('base64url');
      generated.push(key);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.sort());
  return { config: config as z.infer<z.ZodObject<S>>, generated };
}

/** For main.ts: prints every invalid variable and exits non-zero. */
export function loadConfigOrExit<S extends z.ZodRawShape>(
  service: string,
  shape: S,
  env: Env = process.env,
): LoadedConfig<z.infer<z.ZodObject<S>>> {
  try {
    return loadConfig(shape, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The process environment, for composition roots that pass it on (only config files read it). */
export const processEnv = (): Env => process.env;
