import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { baseConfig, ConfigError, loadConfig, secret } from '../src/config';

const shape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(1).max(65535),
  DATABASE_URL: z.url(),
  SIGNING_SECRET: secret(),
};

describe('loadConfig', () => {
  it('lists every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig(shape, { PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });

  it('accepts a z.object schema as well as its shape, applying defaults', () => {
    const { config } = loadConfig(z.object(shape), {
      PORT: '8080',
      DATABASE_URL: 'postgres://x/y',
      SIGNING_SECRET: 'a-long-enough-secret',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      GEMINIS_MODE: 'embedded',
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'none',
      SIGNING_SECRET: 'a-long-enough-secret',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadConfig(shape, { PORT: '', DATABASE_URL: 'postgres://x/y' })).toThrow(/PORT/);
  });

  it('lists a missing production secret together with the other invalid variables', () => {
    let error: unknown;
    try {
      loadConfig(shape, { GEMINIS_MODE: 'production', PORT: '0', DATABASE_URL: 'postgres://x/y' });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'SIGNING_SECRET']);
  });

  it('refuses a secret that is too short, even in embedded mode', () => {
    expect(() =>
      loadConfig(shape, { PORT: '80', DATABASE_URL: 'postgres://x/y', SIGNING_SECRET: 'short' }),
    ).toThrow(/SIGNING_SECRET/);
  });

  it('refuses a missing secret in production mode', () => {
    expect(() =>
      loadConfig(shape, { GEMINIS_MODE: 'production', PORT: '80', DATABASE_URL: 'postgres://x/y' }),
    ).toThrow(/SIGNING_SECRET: required in production mode/);
  });

  it('generates a missing secret in embedded mode and says so', () => {
    const { config, generated } = loadConfig(shape, { PORT: '80', DATABASE_URL: 'postgres://x/y' });
    expect(generated).toEqual(['SIGNING_SECRET']);
    expect(config.SIGNING_SECRET).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(config.PORT).toBe(80);
    const again = loadConfig(shape, { PORT: '80', DATABASE_URL: 'postgres://x/y' });
    expect(again.config.SIGNING_SECRET).not.toBe(config.SIGNING_SECRET);
  });

  it('uses a provided secret in production mode and generates nothing', () => {
    const { config, generated } = loadConfig(shape, {
      GEMINIS_MODE: 'production',
      PORT: '80',
      DATABASE_URL: 'postgres://x/y',
      SIGNING_SECRET: 'a-long-enough-secret',
    });
    expect(generated).toEqual([]);
    expect(config.SIGNING_SECRET).toBe('a-long-enough-secret');
  });
});

describe('loadConfigOrExit', () => {
  it('exits non-zero at boot, printing each bad variable', () => {
    const script = join(__dirname, 'fixtures', 'boot-with-config.ts');
    const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const result = spawnSync(tsx, [script], {
      env: { PATH: process.env.PATH, PORT: 'nope', DATABASE_URL: '::', GEMINIS_MODE: 'production' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    for (const name of ['PORT', 'DATABASE_URL', 'SIGNING_SECRET']) expect(result.stderr).toContain(name);
    expect(result.stdout).not.toContain('booted');
  });
});
