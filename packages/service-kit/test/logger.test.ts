import { Writable } from 'node:stream';
import { accessLine, createLogger, redactSecrets } from '../src/logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', level: 'info', destination }) };
}

describe('logger redaction', () => {
  it('censors secret fields at the top level and deep inside objects and arrays', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'hunter2-top',
        user: { email: 'a@b.c', refreshToken: 'rt-nested' },
        a: { b: { c: { d: { apiKey: 'deep-key', keep: 1 } } } },
        items: [{ totpCode: '123456' }, { name: 'fine' }],
      },
      'msg',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['hunter2-top', 'rt-nested', 'deep-key', '123456'])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      user: { email: 'a@b.c', refreshToken: '[redacted]' },
      a: { b: { c: { d: { apiKey: '[redacted]', keep: 1 } } } },
      items: [{ totpCode: '[redacted]' }, { name: 'fine' }],
    });
  });

  it('censors a code inside a body or input but keeps error codes readable', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    logger.warn({ body: { code: '654321' }, input: { code: 'reset-1' }, code: 'auth.locked', err }, 'x');
    expect(lines[0]).toMatchObject({
      body: { code: '[redacted]' },
      input: { code: '[redacted]' },
      code: 'auth.locked',
      err: { code: 'ECONNREFUSED', message: 'refused' },
    });
  });

  it('censors credential headers of serialized requests and secrets in child bindings', () => {
    const { lines, logger } = capture();
    logger
      .child({ requestId: 'r1', token: 'bound-token' })
      .info({ req: { method: 'GET', headers: { authorization: 'Bearer abc.def', accept: '*/*' } } }, 'x');
    expect(JSON.stringify(lines)).not.toContain('abc.def');
    expect(JSON.stringify(lines)).not.toContain('bound-token');
    expect(lines[0]).toMatchObject({
      requestId: 'r1',
      req: { headers: { authorization: '[redacted]', accept: '*/*' } },
    });
  });

  it("never changes the caller's object, and returns it as is when nothing is secret", () => {
    const input = { user: { password: 'p', name: 'n' }, list: [{ secret: 's' }] };
    const out = redactSecrets(input) as typeof input;
    expect(input.user.password).toBe('p');
    expect(input.list[0]?.secret).toBe('s');
    expect(out.user).toEqual({ password: '[redacted]', name: 'n' });
    expect(out.list[0]).toEqual({ secret: '[redacted]' });
    const clean = { a: { b: [1, 2] }, c: 'x' };
    expect(redactSecrets(clean)).toBe(clean);
  });
});

describe('accessLine', () => {
  const withoutTime = (line: Record<string, unknown>) => {
    const { time, ...rest } = line;
    expect(typeof time).toBe('string');
    expect(Number.isNaN(Date.parse(time as string))).toBe(false);
    return rest;
  };

  it("writes the line pino would write, with the logger's bindings and the fields in order", () => {
    const { lines, logger } = capture();
    const child = logger.child({ requestId: 'r1' });
    const fields = {
      method: 'GET',
      path: '/v1/a"b\\c\n',
      status: 200,
      ms: 1.5,
      aborted: true,
      tenantId: undefined,
    };
    child.info(fields, 'request');
    accessLine(child, 'request').info(fields);
    accessLine(child, 'request').warn(fields);
    expect(lines).toHaveLength(3);
    expect(withoutTime(lines[1]!)).toEqual(withoutTime(lines[0]!));
    expect(Object.keys(lines[1]!)).toEqual(Object.keys(lines[0]!));
    expect(lines[1]).not.toHaveProperty('tenantId');
    expect(lines[2]).toMatchObject({ level: 40, path: '/v1/a"b\\c\n', msg: 'request' });
  });

  it("writes nothing below the logger's level", () => {
    const { lines, logger } = capture();
    logger.level = 'warn';
    const line = accessLine(logger, 'request');
    line.info({ status: 200 });
    line.warn({ status: 503 });
    expect(lines).toEqual([expect.objectContaining({ level: 40, status: 503 })]);
  });
});
