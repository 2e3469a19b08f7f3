import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Configuration is validated once at boot (STYLE.md). This is the only file of the kit that reads
 * process.env. `loadConfig` lists EVERY invalid variable at once (name and reason). Secrets are declared
 * with `secret()`: in production mode a missing one is an error like any other; in embedded mode a random
 * development value is generated and reported in `generated`, so nothing ships a default secret.
 */
export const baseConfig = {
  GEMINIS_MODE: z.enum(['embedded', 'production']).default('embedded'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
};

const SECRET = Symbol('geminis.secret');
/** A string secret (optional at the schema level: presence is enforced by mode in `loadConfig`). */
export type SecretSchema = z.ZodOptional<z.ZodString> & { readonly [SECRET]: true };

/** A secret variable: required in production mode, generated (and reported) in embedded mode. */
export function secret(minLength = 16): SecretSchema {
  const schema = z.string().min(minLength).optional();
  Object.defineProperty(schema, SECRET, { value: true });
  return schema as SecretSchema;
}

const isSecret = (schema: unknown): boolean =>
  typeof schema === 'object' && schema !== null && (schema as Record<symbol, unknown>)[SECRET] === true;

/** The names of a shape's secret variables (`npm start` keeps generated development values for them). */
export const secretNames = (shape: z.ZodRawShape): string[] =>
  Object.entries(shape)
    .filter(([, field]) => isSecret(field))
    .map(([name]) => name);

export class ConfigError extends Error {
  /** One line per invalid variable: `NAME: reason`, sorted by name. */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadedConfig<T> {
  config: T;
  /** Names of the secrets generated because the mode is embedded (never their values). */
  generated: string[];
}

export type Env = Record<string, string | undefined>;
/** The parsed config of a schema given as `z.object(...)` or as its shape. */
export type ConfigOf<S extends z.ZodRawShape | z.ZodObject> = S extends z.ZodObject
  ? z.infer<S>
  : S extends z.ZodRawShape
    ? z.infer<z.ZodObject<S>>
    : never;

/**
 * Parses the environment against a schema (a `z.object(...)` or its shape). Empty strings count as
 * unset. Throws a ConfigError naming every invalid variable, including secrets missing in production.
 */
export function loadConfig<S extends z.ZodRawShape | z.ZodObject>(
  schema: S,
  env: Env = process.env,
): LoadedConfig<ConfigOf<S>> {
  const shape: z.ZodRawShape = schema instanceof z.ZodObject ? schema.shape : schema;
  const values: Env = {};
  for (const key of Object.keys(shape)) values[key] = env[key] === '' ? undefined : env[key];

  const problems: string[] = [];
  const result = z.object(shape).safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues)
      problems.push(`${issue.path.map(String).join('.') || '(env)'}: ${issue.message}`);
  }
  // The mode decides what a missing secret means; an invalid mode is already reported above.
  const production = (values.GEMINIS_MODE ?? 'embedded') === 'production';
  const generated: string[] = [];
  const config: Record<string, unknown> = result.success ? { ...result.data } : {};
  for (const [key, field] of Object.entries(shape)) {
    if (!isSecret(field) || values[key] !== undefined) continue;
    if (production) problems.push(`${key}: required in production mode`);
    else {
      config[key] = randomBytes(32).toString('base64url');
      generated.push(key);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.sort());
  return { config: config as ConfigOf<S>, generated };
}

/**
 * For main.ts: like `loadConfig`, but an invalid configuration prints every bad variable to stderr and
 * exits with status 1. The caller logs `generated` ("generated dev secret for X") once it has a logger.
 */
export function loadConfigOrExit<S extends z.ZodRawShape | z.ZodObject>(
  serviceName: string,
  schema: S,
  env: Env = process.env,
): LoadedConfig<ConfigOf<S>> {
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${serviceName}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The process environment, for composition roots that pass it on (only config files read it). */
export const processEnv = (): Env => process.env;
