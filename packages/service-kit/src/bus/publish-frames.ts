import { type ChannelModel } from 'amqplib';

/** amqplib's ids of basic.publish and of the basic content header (its defs.BasicPublish, BasicProperties). */
const BASIC_PUBLISH = 3932200;
const BASIC_PROPERTIES = 60;
const FRAME_END = 206;

/** What amqplib hands its connection's sendMessage for a publish: method fields and properties in one. */
interface PublishFields {
  exchange?: unknown;
  routingKey?: unknown;
  mandatory?: unknown;
  immediate?: unknown;
  ticket?: unknown;
  contentType?: unknown;
  contentEncoding?: unknown;
  headers?: unknown;
  deliveryMode?: unknown;
  priority?: unknown;
  correlationId?: unknown;
  replyTo?: unknown;
  expiration?: unknown;
  messageId?: unknown;
  timestamp?: unknown;
  type?: unknown;
  userId?: unknown;
  appId?: unknown;
  clusterId?: unknown;
}

/**
 * The basic properties in wire order: [name, flag bit, kind]. Short strings are a length byte and UTF-8;
 * the header table is written only empty (4 zero bytes) here.
 */
const PROPERTIES = [
  ['contentType', 0x8000, 'short'],
  ['contentEncoding', 0x4000, 'short'],
  ['headers', 0x2000, 'table'],
  ['deliveryMode', 0x1000, 'octet'],
  ['priority', 0x0800, 'octet'],
  ['correlationId', 0x0400, 'short'],
  ['replyTo', 0x0200, 'short'],
  ['expiration', 0x0100, 'short'],
  ['messageId', 0x0080, 'short'],
  ['timestamp', 0x0040, 'timestamp'],
  ['type', 0x0020, 'short'],
  ['userId', 0x0010, 'short'],
  ['appId', 0x0008, 'short'],
  ['clusterId', 0x0004, 'short'],
] as const satisfies readonly (readonly [keyof PublishFields, number, string])[];

/** Byte lengths of this message's short strings, by PROPERTIES index (-1: absent). Reused per call. */
const lengths = new Int32Array(PROPERTIES.length);
/** This message's property values, by PROPERTIES index. Reused per call (encodePublish never yields). */
const values: unknown[] = new Array<unknown>(PROPERTIES.length).fill(undefined);

/**
 * Reads the properties by name, one by one: amqplib's options object always has the same shape, so each
 * read stays monomorphic (a lookup by a name taken from PROPERTIES in a loop is not).
 */
function readProperties(f: PublishFields): void {
  values[0] = f.contentType;
  values[1] = f.contentEncoding;
  values[2] = f.headers;
  values[3] = f.deliveryMode;
  values[4] = f.priority;
  values[5] = f.correlationId;
  values[6] = f.replyTo;
  values[7] = f.expiration;
  values[8] = f.messageId;
  values[9] = f.timestamp;
  values[10] = f.type;
  values[11] = f.userId;
  values[12] = f.appId;
  values[13] = f.clusterId;
}

/** Byte length of a short string, or -1 if it is not one (then amqplib's own encoder decides). */
function shortLength(value: unknown): number {
  if (typeof value !== 'string') return -1;
  const n = Buffer.byteLength(value, 'utf8');
  return n < 256 ? n : -1;
}

/** Writes a short string whose UTF-8 length is n (ASCII, the usual case, without the UTF-8 encoder). */
function writeShort(out: Buffer, value: string, at: number, n: number): number {
  out[at] = n;
  if (n === value.length) {
    for (let i = 0; i < n; i++) out[at + 1 + i] = value.charCodeAt(i);
  } else out.write(value, at + 1, n, 'utf8');
  return at + 1 + n;
}

const isOctet = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;

/**
 * The three frames of a basic.publish (method, content header, one body frame) in ONE buffer, byte for byte
 * what amqplib writes, or undefined when this message is not the plain kind handled here (header table
 * entries, a body larger than a frame, a value of an unexpected type): amqplib then encodes it itself,
 * errors included. amqplib builds each frame in a zero-filled buffer of its own (three allocations outside
 * the pool and their copies into a fourth): per message of the outbox relay that was a measurable share of
 * its CPU.
 */
export function encodePublish(
  channel: number,
  fields: PublishFields,
  content: Buffer,
  frameMax: number,
): Buffer | undefined {
  const { exchange, routingKey } = fields;
  if (content.length > frameMax - 8) return undefined;
  if (fields.ticket !== undefined && fields.ticket !== 0) return undefined;
  const exchangeLength = exchange === undefined ? 0 : shortLength(exchange);
  const keyLength = routingKey === undefined ? 0 : shortLength(routingKey);
  if (exchangeLength < 0 || keyLength < 0) return undefined;
  let propertiesLength = 0;
  readProperties(fields);
  for (let i = 0; i < PROPERTIES.length; i++) {
    const kind = PROPERTIES[i]![2];
    const value = values[i];
    lengths[i] = -1;
    if (value == null) continue;
    switch (kind) {
      case 'short': {
        const n = shortLength(value);
        if (n < 0) return undefined;
        lengths[i] = n;
        propertiesLength += 1 + n;
        break;
      }
      case 'table':
        // amqplib always sends a header table (empty unless headers were given): only the empty one here.
        if (typeof value !== 'object') return undefined;
        for (const key in value) {
          if ((value as Record<string, unknown>)[key] !== undefined) return undefined;
        }
        lengths[i] = 4;
        propertiesLength += 4;
        break;
      case 'octet':
        if (!isOctet(value)) return undefined;
        lengths[i] = 1;
        propertiesLength += 1;
        break;
      case 'timestamp':
        if (!(Number.isSafeInteger(value) && (value as number) >= 0)) return undefined;
        lengths[i] = 8;
        propertiesLength += 8;
        break;
    }
  }

  const methodSize = 4 + 2 + 1 + exchangeLength + 1 + keyLength + 1;
  const headerSize = 14 + propertiesLength;
  const bodyFrame = content.length > 0 ? 7 + content.length + 1 : 0;
  const total = 7 + methodSize + 1 + (7 + headerSize + 1) + bodyFrame;
  // Every byte below is written: a pooled, unzeroed buffer is safe.
  const out = Buffer.allocUnsafe(total);
  // Method frame: basic.publish(ticket 0, exchange, routing key, mandatory, immediate).
  out[0] = 1;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(methodSize, 3);
  out.writeUInt32BE(BASIC_PUBLISH, 7);
  out.writeUInt16BE(0, 11);
  let o = writeShort(out, (exchange as string | undefined) ?? '', 13, exchangeLength);
  o = writeShort(out, (routingKey as string | undefined) ?? '', o, keyLength);
  out[o++] = (fields.mandatory ? 1 : 0) | (fields.immediate ? 2 : 0);
  out[o++] = FRAME_END;
  // Content header frame: class 60, weight 0, body size, property flags, properties.
  out[o] = 2;
  out.writeUInt16BE(channel, o + 1);
  out.writeUInt32BE(headerSize, o + 3);
  out.writeUInt32BE(BASIC_PROPERTIES << 16, o + 7);
  out.writeUInt32BE(Math.floor(content.length / 0x1_0000_0000), o + 11);
  out.writeUInt32BE(content.length >>> 0, o + 15);
  const flagsAt = o + 19;
  o += 21;
  let flags = 0;
  for (let i = 0; i < PROPERTIES.length; i++) {
    const n = lengths[i]!;
    if (n < 0) continue;
    const [, bit, kind] = PROPERTIES[i]!;
    const value = values[i];
    flags |= bit;
    switch (kind) {
      case 'short':
        o = writeShort(out, value as string, o, n);
        break;
      case 'table':
        out.writeUInt32BE(0, o);
        o += 4;
        break;
      case 'octet':
        out[o++] = value as number;
        break;
      case 'timestamp':
        out.writeUInt32BE(Math.floor((value as number) / 0x1_0000_0000), o);
        out.writeUInt32BE((value as number) >>> 0, o + 4);
        o += 8;
        break;
    }
  }
  out.writeUInt16BE(flags, flagsAt);
  out[o++] = FRAME_END;
  // Body frame (none for an empty body, as amqplib).
  if (bodyFrame > 0) {
    out[o] = 3;
    out.writeUInt16BE(channel, o + 1);
    out.writeUInt32BE(content.length, o + 3);
    o += 7 + content.copy(out, o + 7);
    out[o] = FRAME_END;
  }
  return out;
}

interface AmqplibConnection {
  sendMessage: (
    channel: number,
    method: number,
    fields: unknown,
    properties: number,
    props: unknown,
    content: Buffer,
  ) => boolean;
  channels: { buffer: { write(frame: Buffer): boolean } }[];
  frameMax: number;
  sentSinceLastCheck: boolean;
}

/**
 * Makes the connection write each plain basic.publish as one buffer built by encodePublish (same bytes,
 * same channel stream, same return value for backpressure); anything else goes through amqplib as before.
 * amqplib's channel still checks its own state first (a closed channel throws before reaching this).
 * Leaves the connection as it is if amqplib's internals are not what this expects.
 */
export function encodePublishesInOneBuffer(conn: ChannelModel): void {
  const raw = conn.connection as unknown as Partial<AmqplibConnection>;
  const original = raw.sendMessage;
  if (typeof original !== 'function' || !Array.isArray(raw.channels) || typeof raw.frameMax !== 'number') {
    return;
  }
  raw.sendMessage = function sendMessage(
    this: AmqplibConnection,
    channel,
    method,
    fields,
    properties,
    props,
    content,
  ) {
    if (
      method === BASIC_PUBLISH &&
      properties === BASIC_PROPERTIES &&
      fields === props &&
      Buffer.isBuffer(content)
    ) {
      const frames = encodePublish(channel, fields as PublishFields, content, this.frameMax);
      const stream = this.channels[channel]?.buffer;
      if (frames && stream) {
        this.sentSinceLastCheck = true;
        return stream.write(frames);
      }
    }
    return original.call(this, channel, method, fields, properties, props, content);
  };
}
