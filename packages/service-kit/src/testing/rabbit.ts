import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type Channel, type GetMessage } from 'amqplib';

const run = promisify(execFile);

export interface TestVhost {
  name: string;
  /** AMQP URL for guest on this vhost. */
  url: string;
  /** Drops every connection to this vhost only (other test files keep theirs). */
  closeConnections(): Promise<void>;
  /** Grants or revokes guest's access to this vhost (revoked: reconnections fail with ACCESS_REFUSED). */
  setAccess(allowed: boolean): Promise<void>;
  /** Ready messages in a queue of this vhost (0 if it does not exist). */
  queueDepth(queue: string): Promise<number>;
  /** Removes and returns up to `max` ready messages from a queue of this vhost. */
  takeMessages(queue: string, max?: number): Promise<GetMessage[]>;
  drop(): Promise<void>;
}

function brokerUrl(): URL {
  // Read by tests only; test/setup-env.js provides the default.
  // eslint-disable-next-line no-restricted-properties
  return new URL(process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
}

const ctl = (...args: string[]) => run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });

/** Runs `use` on a short-lived channel of its own, so a failed passive declare harms nothing else. */
async function withChannel<T>(url: string, use: (ch: Channel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(url);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return await use(ch);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A vhost per test file, so tests that cut connections or fill queues never disturb each other. */
export async function createTestVhost(prefix = 'gm_test'): Promise<TestVhost> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const user = brokerUrl().username || 'guest';
  const allow = () => ctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
  await ctl('add_vhost', name);
  await allow();
  const url = brokerUrl();
  url.pathname = `/${encodeURIComponent(name)}`;
  const vhostUrl = url.toString();
  return {
    name,
    url: vhostUrl,
    async closeConnections() {
      await ctl('close_all_connections', '-p', name, 'test');
    },
    async setAccess(allowed) {
      await (allowed ? allow() : ctl('clear_permissions', '-p', name, user));
    },
    queueDepth: (queue) =>
      withChannel(vhostUrl, (ch) =>
        ch.checkQueue(queue).then(
          (q) => q.messageCount,
          () => 0,
        ),
      ),
    takeMessages: (queue, max = 1000) =>
      withChannel(vhostUrl, async (ch) => {
        const taken: GetMessage[] = [];
        while (taken.length < max) {
          const msg = await ch.get(queue, { noAck: true });
          if (!msg) break;
          taken.push(msg);
        }
        return taken;
      }),
    async drop() {
      await ctl('delete_vhost', name).catch(() => undefined);
    },
  };
}
