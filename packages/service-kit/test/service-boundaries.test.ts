import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

jest.setTimeout(120_000);

/** Lints a probe file placed in a service's src with the repository's real ESLint configuration. */
async function lintProbe(service: string, code: string): Promise<{ failed: boolean; output: string }> {
  const file = join(ROOT, 'services', service, 'src', `lint-probe-${randomBytes(4).toString('hex')}.ts`);
  writeFileSync(file, code);
  try {
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'),
        '--rule',
        '{"@typescript-eslint/no-unused-vars":"off"}',
        file,
      ],
      { cwd: ROOT },
    );
    return { failed: false, output: stdout };
  } catch (err) {
    return { failed: true, output: String((err as { stdout?: string }).stdout ?? err) };
  } finally {
    rmSync(file, { force: true });
  }
}

describe('service boundaries (lint)', () => {
  it('refuses a relative import of another service from a service’s src', async () => {
    const result = await lintProbe(
      'catalog',
      "export { identityService } from '../../identity/src/service';\n",
    );
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(/Services never import each other/);
  });

  it('refuses the deeper relative form and the package name too', async () => {
    const deep = await lintProbe('catalog', "export * from '../../../services/identity/src/service';\n");
    expect(deep.output).toMatch(/Services never import each other/);
    const byName = await lintProbe('identity', "export * from '@geminis/catalog';\n");
    expect(byName.output).toMatch(/Services never import each other/);
  });

  it('allows contracts and the kit', async () => {
    const result = await lintProbe(
      'catalog',
      "export { eventRegistry } from '@geminis/contracts';\nexport { newId } from '@geminis/service-kit';\n",
    );
    expect(result.output).not.toMatch(/Services never import each other/);
    expect(result.failed).toBe(false);
  });
});
