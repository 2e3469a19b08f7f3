/**
 * `npm start` as a person or a supervisor runs it: it listens on loopback only (the demo prints its
 * passwords), and SIGTERM sent to the npm process — not to the whole group, as Ctrl-C does — stops the
 * platform: npm exits 0 and the port is free afterwards (nothing left running behind it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../..');

/** The local addresses listening on a TCP port, from /proc (IPv4 and IPv6). */
function listeners(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local && state === '0A' && local.endsWith(`:${hex}`)) out.push(local.split(':')[0]!);
    }
  }
  return out;
}

const refused = (port: number) =>
  new Promise<boolean>((res) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      res(false);
    });
    socket.once('error', () => res(true));
  });

it('binds loopback by default and stops on SIGTERM sent to npm, freeing its port', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'geminis-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GEMINIS_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
  delete env.HOST;
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (c: Buffer) => (output += c.toString()));
  npm.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((res) => npm.once('exit', (code) => res(code)));
  try {
    const port = await Promise.race([
      new Promise<number>((res) => {
        const look = () => {
          const m = /Geminis is running: http:\/\/localhost:(\d+)/.exec(output);
          if (m) res(Number(m[1]));
          else setTimeout(look, 200);
        };
        look();
      }),
      exited.then((code) => {
        throw new Error(`npm start exited (${code}) before it was running:\n${output}`);
      }),
    ]);
    expect(listeners(port)).toEqual(['0100007F']); // 127.0.0.1 only
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    // npm returns once the platform has exited, so the port is free now (a bounded wait for the kernel).
    let free = false;
    for (let i = 0; i < 50 && !(free = await refused(port)); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(free).toBe(true);
    expect(listeners(port)).toEqual([]);
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
