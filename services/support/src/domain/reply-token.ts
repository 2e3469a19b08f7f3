import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signed reply address of a ticket: `reply+<ticket and expiry>-<mac>@<domain>`. The ticket id (16
 * bytes) and an expiry in days since the epoch (4 bytes) are base32-encoded (lower case, so a server that
 * folds case breaks nothing), followed by 10 bytes of HMAC-SHA256 over them: 55 characters, inside the
 * 64 a local part may have. Forged, altered or expired addresses open nothing.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const DAY_MS = 86_400_000;
const MAC_BYTES = 10;

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(s: string): Buffer | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s) {
    const i = ALPHABET.indexOf(c);
    if (i < 0) return undefined;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidOf = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export function createReplyAddresses(o: { secret: string; domain: string; validDays?: number }) {
  const validDays = o.validDays ?? 180;
  const mac = (payload: Buffer) =>
    createHmac('sha256', o.secret)
      .update('geminis.support.reply.v1')
      .update(payload)
      .digest()
      .subarray(0, MAC_BYTES);

  return {
    domain: o.domain,
    /** The address a client replies to for this ticket, valid for `validDays` from `at`. */
    addressFor(ticketId: string, at: Date): string {
      const expiry = Buffer.alloc(4);
      expiry.writeUInt32BE(Math.floor(at.getTime() / DAY_MS) + validDays);
      const payload = Buffer.concat([uuidBytes(ticketId), expiry]);
      return `reply+${base32(payload)}-${base32(mac(payload))}@${o.domain}`;
    },
    /** The ticket an address stands for, or why not (`invalid`: not ours or forged; `expired`). */
    verify(address: string, at: Date): { ticketId: string } | { refused: 'invalid' | 'expired' } {
      const m = /^reply\+([a-z2-7]{32})-([a-z2-7]{16})@(.+)$/.exec(address.trim().toLowerCase());
      if (!m || m[3] !== o.domain.toLowerCase()) return { refused: 'invalid' };
      const payload = unbase32(m[1]!);
      const given = unbase32(m[2]!);
      if (!payload || payload.length !== 20 || !given || given.length !== MAC_BYTES)
        return { refused: 'invalid' };
      if (!timingSafeEqual(mac(payload), given)) return { refused: 'invalid' };
      if (payload.readUInt32BE(16) < Math.floor(at.getTime() / DAY_MS)) return { refused: 'expired' };
      return { ticketId: uuidOf(payload.subarray(0, 16)) };
    },
  };
}

export type ReplyAddresses = ReturnType<typeof createReplyAddresses>;
