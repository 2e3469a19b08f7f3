/**
 * `npm run dead-letters -- <consumer> [--replay]`: how many events wait in a consumer's dead-letter queue,
 * and, with --replay, put them back on that consumer's queue (fix their cause first). AMQP_URL names the
 * broker.
 */
import { countDeadLetters, loadConfigOrExit, processEnv, replayDeadLetters } from '@geminis/service-kit';
import { z } from 'zod';

async function main() {
  const { config } = loadConfigOrExit('dead-letters', { AMQP_URL: z.url() }, processEnv());
  const [consumer, flag] = process.argv.slice(2);
  if (!consumer || !/^[a-z][a-z0-9_.-]*$/.test(consumer) || (flag !== undefined && flag !== '--replay')) {
    process.stderr.write('usage: npm run dead-letters -- <consumer> [--replay]\n');
    process.exit(2);
  }
  const waiting = await countDeadLetters(config.AMQP_URL, consumer);
  process.stdout.write(`${consumer}.dlq: ${waiting} message(s)\n`);
  if (flag === '--replay' && waiting > 0) {
    const replayed = await replayDeadLetters(config.AMQP_URL, consumer);
    process.stdout.write(`replayed ${replayed} message(s) to ${consumer}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`dead-letters failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
