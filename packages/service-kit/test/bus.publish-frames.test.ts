import { dirname, join } from 'node:path';
import { encodePublish } from '../src/bus/publish-frames';

// amqplib's own encoder (not exported by its package: loaded by file), to compare byte for byte.
const amqplibDir = dirname(require.resolve('amqplib'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Connection } = require(join(amqplibDir, 'lib/connection.js')) as {
  Connection: { prototype: Record<string, (...args: unknown[]) => unknown> };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Args = require(join(amqplibDir, 'lib/api_args.js')) as {
  publish(exchange: string, routingKey: string, options: object): Record<string, unknown>;
};

const FRAME_MAX = 131072;

/** The bytes amqplib's connection writes for this publish on `channel`. */
function amqplibBytes(channel: number, fields: Record<string, unknown>, body: Buffer): Buffer {
  const written: Buffer[] = [];
  const connection: Record<string, unknown> = {
    channels: [],
    frameMax: FRAME_MAX,
    sendContent: Connection.prototype.sendContent,
  };
  (connection.channels as unknown[])[channel] = {
    buffer: { write: (b: Buffer) => written.push(Buffer.from(b)) > 0 },
  };
  Connection.prototype.sendMessage!.call(connection, channel, 3932200, fields, 60, fields, body);
  return Buffer.concat(written);
}

const envelope = Buffer.from('{"id":"01939a4c-7b1e-7cc0-8a3b-5f2d8e9c0a11","data":{"n":1}}');

describe('encodePublish', () => {
  const cases: [string, Buffer, object][] = [
    [
      'the relay’s publish',
      envelope,
      {
        persistent: true,
        mandatory: true,
        messageId: '01939a4c-7b1e-7cc0-8a3b-5f2d8e9c0a11',
        contentType: 'application/json',
        timestamp: 1764530000,
      },
    ],
    ['no properties at all', envelope, {}],
    ['an empty body', Buffer.alloc(0), { persistent: true }],
    ['non-ASCII strings', Buffer.from('{"a":"é"}'), { messageId: 'é✓', type: 'naïve', appId: '😀' }],
    [
      'every property (empty header table)',
      Buffer.alloc(3000, 7),
      {
        headers: {},
        contentType: 'text/plain',
        contentEncoding: 'gzip',
        deliveryMode: 1,
        priority: 3,
        correlationId: 'c',
        replyTo: 'r',
        expiration: 1000,
        messageId: 'm',
        timestamp: 2 ** 40 + 5,
        type: 't',
        userId: 'guest',
        appId: 'a',
      },
    ],
    ['a body that just fits one frame', Buffer.alloc(FRAME_MAX - 8, 1), { persistent: true }],
  ];

  it.each(cases)('writes what amqplib writes: %s', (_name, body, options) => {
    for (const [exchange, routingKey] of [
      ['geminis.events', 'test.note.added.v1'],
      ['', 'queue'],
      ['x', ''],
    ]) {
      const fields = Args.publish(exchange!, routingKey!, options);
      const ours = encodePublish(3, fields, body, FRAME_MAX);
      expect(ours).toBeDefined();
      expect(ours!.equals(amqplibBytes(3, fields, body))).toBe(true);
    }
  });

  it('leaves to amqplib what it does not handle: header entries, a body over one frame, odd values', () => {
    const encode = (options: object, body = envelope) =>
      encodePublish(1, Args.publish('geminis.events', 'a.b.c.v1', options), body, FRAME_MAX);
    expect(encode({ headers: { traceparent: '00-abc' } })).toBeUndefined();
    expect(encode({}, Buffer.alloc(FRAME_MAX - 7))).toBeUndefined();
    expect(encode({ messageId: 'x'.repeat(256) })).toBeUndefined();
    expect(encode({ priority: 256 })).toBeUndefined();
    expect(encode({ timestamp: 1.5 })).toBeUndefined();
    expect(encode({ timestamp: -1 })).toBeUndefined();
    expect(
      encodePublish(1, Args.publish('geminis.events', 'é'.repeat(128), {}), envelope, FRAME_MAX),
    ).toBeUndefined();
    expect(encode({ headers: { gone: undefined } })).toBeDefined();
  });
});
