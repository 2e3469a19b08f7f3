import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// startTelemetry patches modules process-wide, so each case runs in a Node process of its own.
const ROOT = join(__dirname, '../../..');
const probe = (exporter: 'none' | 'console') => `
  const { startTelemetry } = require('./packages/service-kit/src/telemetry');
  const telemetry = startTelemetry({ serviceName: 'probe', exporter: '${exporter}' });
  const sdkLoaded = Object.keys(require.cache).some((k) => k.includes('@opentelemetry/sdk-node'));
  const http = require('node:http');
  const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
    http.get('http://127.0.0.1:' + server.address().port + '/probe', (res) => {
      res.resume();
      res.on('end', async () => {
        server.close();
        await telemetry.shutdown();
        process.stdout.write('\\nRESULT ' + JSON.stringify({ sdkLoaded }) + '\\n');
      });
    });
  });
`;

async function run(exporter: 'none' | 'console') {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', probe(exporter)], {
    cwd: ROOT,
    timeout: 60_000,
  });
  // (the last line: the console exporter prints the process's arguments, this script among them)
  const result = JSON.parse(stdout.slice(stdout.lastIndexOf('RESULT ') + 7)) as { sdkLoaded: boolean };
  return { ...result, stdout };
}

describe('startTelemetry', () => {
  it('loads no SDK when tracing is off (it is most of a warm start’s module loading)', async () => {
    const { sdkLoaded, stdout } = await run('none');
    expect(sdkLoaded).toBe(false);
    expect(stdout).not.toMatch(/traceId/);
  }, 90_000);

  it('traces HTTP with the SDK when an exporter is set', async () => {
    const { sdkLoaded, stdout } = await run('console');
    expect(sdkLoaded).toBe(true);
    expect(stdout).toMatch(/traceId: '[0-9a-f]{32}'/);
  }, 90_000);
});
