import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A RabbitMQ node of a test's own (its own node name, ports and data directory), for fault tests that
 * SIGKILL or stop a broker: the machine's shared broker is never touched, so other test files and
 * other processes using it keep working. Its data survives kill()/start() (quorum queues recover), and
 * destroy() removes it.
 */
export interface BrokerInstance {
  /** `<name>@localhost` */
  node: string;
  /** AMQP URL for guest on the default vhost. */
  url: string;
  port: number;
  /** rabbitmqctl against this node only. */
  ctl(...args: string[]): Promise<string>;
  /** SIGKILL of the node's Erlang VM: no clean shutdown, connections reset. */
  kill(): Promise<void>;
  /** Starts the node (after kill/stop) and waits until it serves. */
  start(): Promise<void>;
  /**
   * Starts an election in every quorum queue whose only member is stuck as a follower, and returns how
   * many there were. RabbitMQ 3.10.8 (Debian bookworm's) sometimes brings a single-node quorum queue back
   * from a SIGKILL as a Raft follower that never elects itself: the queue then confirms no publish and
   * accepts no consumer, whatever the clients do, until an operator runs this (or restarts the node).
   */
  electStuckQuorumQueues(): Promise<number>;
  /** Kills the node and removes its data. */
  destroy(): Promise<void>;
}

interface Uid {
  uid: number;
  gid: number;
}

/** As root, the rabbitmq-server/rabbitmqctl wrappers run the node as the rabbitmq user: it must own the files. */
async function rabbitmqUser(): Promise<Uid | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      run('id', ['-u', 'rabbitmq']),
      run('id', ['-g', 'rabbitmq']),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    return undefined;
  }
}

export async function startBrokerInstance(prefix = 'geminis-fault'): Promise<BrokerInstance> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const node = `${name}@localhost`;
  const [port, distPort] = [await freePort(), await freePort()];
  const base = join(tmpdir(), name);
  const owner = await rabbitmqUser();
  for (const dir of [base, join(base, 'mnesia'), join(base, 'log')]) {
    mkdirSync(dir, { recursive: true });
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }
  const files = {
    config: join(base, 'rabbitmq.conf'),
    plugins: join(base, 'enabled_plugins'),
    envConf: join(base, 'rabbitmq-env.conf'),
    pid: join(base, 'pid'),
  };
  writeFileSync(files.config, `listeners.tcp.1 = 127.0.0.1:${port}\n`);
  writeFileSync(files.plugins, '[].\n');
  // Our own env file: the machine's (e.g. NODENAME=rabbit@localhost) must not apply to this node.
  writeFileSync(files.envConf, 'ERL_EPMD_ADDRESS=127.0.0.1\n');
  const env = {
    // The node inherits PATH and HOME; test code only, like testing/postgres.ts.
    // eslint-disable-next-line no-restricted-properties
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
    RABBITMQ_CONFIG_FILE: files.config,
    RABBITMQ_CONF_ENV_FILE: files.envConf,
    RABBITMQ_PID_FILE: files.pid,
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };

  const ctl = async (...args: string[]) =>
    (await run('rabbitmqctl', ['-n', node, '-q', ...args], { timeout: 60_000 })).stdout;

  const pid = (): number | undefined => {
    if (!existsSync(files.pid)) return undefined;
    const n = Number(readFileSync(files.pid, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };

  async function start() {
    rmSync(files.pid, { force: true });
    // Not execFile: the daemon it forks keeps the pipes open, and the call would never return.
    spawn('rabbitmq-server', ['-detached'], { env, stdio: 'ignore', detached: true, cwd: base }).unref();
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        // await_startup returns at once with an error while the node is not registered at all yet.
        await ctl('await_startup', '--timeout', '60');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
  }

  async function kill() {
    const p = pid();
    if (!p) throw new Error(`no pid file for ${node}`);
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      return; // already gone
    }
    // Gone once signal 0 fails.
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(p, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
  }

  await start();
  return {
    node,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    ctl,
    kill,
    start,
    async electStuckQuorumQueues() {
      const out = await ctl(
        'eval',
        'length([ra:trigger_election({N, node()}) || {N, #{state := follower}} <- ' +
          'maps:to_list(maps:get(servers, ra:overview(quorum_queues)))]).',
      );
      return Number(out.trim()) || 0;
    },
    async destroy() {
      await kill().catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
