import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestVhost {
  name: string;
  /** AMQP URL for guest on this vhost. */
  url: string;
  /** Drops every connection to this vhost only (other test files keep theirs). */
  closeConnections(): Promise<void>;
  /** Ready messages in a queue of this vhost. */
  queueDepth(queue: string): Promise<number>;
  drop(): Promise<void>;
}

function brokerUrl(): URL {
  // Read by tests only; test/setup-env.js provides the default.
  // eslint-disable-next-line no-restricted-properties
  return new URL(process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
}

const ctl = (...args: string[]) => run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });

/** A vhost per test file, so tests that cut connections or fill queues never disturb each other. */
export async function createTestVhost(prefix = 'gm_test'): Promise<TestVhost> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await ctl('add_vhost', name);
  await ctl('set_permissions', '-p', name, brokerUrl().username || 'guest', '.*', '.*', '.*');
  const url = brokerUrl();
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: url.toString(),
    async closeConnections() {
      await ctl('close_all_connections', '-p', name, 'test: dropping connections');
    },
    async queueDepth(queue) {
      const { stdout } = await ctl('list_queues', '-p', name, '--no-table-headers', 'name', 'messages_ready');
      for (const line of stdout.split('\n')) {
        const [q, count] = line.trim().split(/\s+/);
        if (q === queue) return Number(count);
      }
      return 0;
    },
    async drop() {
      await ctl('delete_vhost', name).catch(() => undefined);
    },
  };
}
