/**
 * infra/Dockerfile read as a reviewer would, since no image builder runs here: a build stage and a slim
 * runtime stage, the runtime installing production dependencies only and running compiled code with
 * `node` as PID 1 (exec form: no npm, shell or tsx in between) as a non-root user; its commands are valid
 * JavaScript; and the build context leaves out what must not reach an image. The runtime stage's layout
 * itself is exercised by runtime.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';

const ROOT = resolve(__dirname, '../..');

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage (continuation lines joined, comments dropped). */
function stages(text: string): Array<{ from: string; instructions: Instruction[] }> {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Array<{ from: string; instructions: Instruction[] }> = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') out.push({ from: args, instructions: [] });
    else out.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
  }
  return out;
}

const dockerfile = stages(readFileSync(join(ROOT, 'infra/Dockerfile'), 'utf8'));
const runtime = dockerfile.at(-1)!;
const all = (stage: { instructions: Instruction[] }, op: string) =>
  stage.instructions.filter((i) => i.op === op).map((i) => i.args);

it('builds in one stage and runs compiled code with production dependencies only in another', () => {
  expect(dockerfile.length).toBeGreaterThanOrEqual(2);
  const build = dockerfile[0]!;
  expect(all(build, 'RUN').join('\n')).toMatch(/npm ci(?!.*--omit=dev)/);
  expect(all(build, 'RUN').join('\n')).toMatch(/npm run build/);
  const installs = dockerfile.flatMap((s) => all(s, 'RUN')).filter((r) => /npm ci/.test(r));
  expect(installs.some((r) => /--omit=dev/.test(r))).toBe(true);
  // The runtime stage copies a prepared /app and installs or compiles nothing itself.
  expect(all(runtime, 'RUN')).toEqual([]);
  expect(all(runtime, 'COPY').every((c) => c.startsWith('--from='))).toBe(true);
  expect(runtime.instructions.map((i) => i.args).join('\n')).not.toMatch(/\btsx\b|\bnpx\b|npm (start|run)/);
});

it('runs node as PID 1 (exec form) as a non-root user, in production mode', () => {
  const users = all(runtime, 'USER');
  expect(users.length).toBe(1);
  expect(users[0]).not.toMatch(/^(root|0)$/);
  const cmd = JSON.parse(all(runtime, 'CMD')[0]!) as string[];
  expect(cmd[0]).toBe('node');
  expect(all(runtime, 'ENTRYPOINT')).toEqual([]);
  expect(all(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
  expect(all(runtime, 'ENV').join(' ')).toMatch(/GEMINIS_MODE=production/);
});

it('its default command refuses a SERVICE that is not a plain name, and its health check is valid JavaScript', () => {
  const cmd = JSON.parse(all(runtime, 'CMD')[0]!) as string[];
  expect(cmd[1]).toBe('-e');
  const refused = spawnSync(process.execPath, ['-e', cmd[2]!], {
    env: { PATH: process.env.PATH, SERVICE: '../../etc/passwd' },
    encoding: 'utf8',
  });
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain('SERVICE');
  const health = /CMD (\[.*\])$/.exec(all(runtime, 'HEALTHCHECK')[0]!)![1]!;
  const [node, flag, script] = JSON.parse(health) as string[];
  expect([node, flag]).toEqual(['node', '-e']);
  expect(() => new Script(script!)).not.toThrow(); // parses
});

it('keeps dependencies, data, secrets and git history out of the build context', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim());
  for (const entry of ['**/node_modules', '.git', '.data', '.env', 'dist']) expect(ignored).toContain(entry);
});
