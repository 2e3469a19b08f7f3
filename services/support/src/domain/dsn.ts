/**
 * Delivery status notifications (RFC 3464): a `multipart/report; report-type=delivery-status` message
 * an MTA sends back when it could not deliver one of ours. Pure parsing, no I/O: the per-recipient
 * fields of the `message/delivery-status` part, and the Message-ID of the returned original (in its
 * `message/rfc822` or `text/rfc822-headers` part), which is the id of our mail.
 */

export interface RecipientStatus {
  /** Final-Recipient (else Original-Recipient), lower case. */
  address: string;
  /** failed, delayed, delivered, relayed or expanded. */
  action: string;
  /** The enhanced status code (RFC 3463), e.g. 5.1.1. */
  status: string;
  diagnostic: string | null;
}

export interface DeliveryReport {
  recipients: RecipientStatus[];
  /** The returned original's Message-ID, without angle brackets. */
  originalMessageId: string | null;
}

export type BounceKind = 'hard' | 'soft';

/** failed with a 5.x.x status: the address will not work; failed with 4.x.x, or delayed: try again. */
export function bounceKind(r: RecipientStatus): BounceKind | undefined {
  if (r.action === 'failed') return r.status.startsWith('5') ? 'hard' : 'soft';
  if (r.action === 'delayed') return 'soft';
  return undefined;
}

/** Header fields of a block (continuation lines unfolded), names lower-cased; the first of each wins. */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (m && !fields.has(m[1]!.toLowerCase())) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  return fields;
}

const splitHead = (part: string): [string, string] => {
  const at = /\r?\n\r?\n/.exec(part);
  return at ? [part.slice(0, at.index), part.slice(at.index + at[0].length)] : [part, ''];
};

const decode = (body: string, encoding: string | undefined): string =>
  encoding?.toLowerCase() === 'base64'
    ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : encoding?.toLowerCase() === 'quoted-printable'
      ? body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      : body;

/** `rfc822; user@example.com` → `user@example.com` (lower case). */
const addressOf = (typed: string | undefined): string | undefined => {
  const v = typed?.includes(';') ? typed.slice(typed.indexOf(';') + 1) : typed;
  const a = v?.trim().replace(/^<|>$/g, '').toLowerCase();
  return a && /^[^\s@]+@[^\s@]+$/.test(a) ? a : undefined;
};

/**
 * The report in a raw message, or undefined when it is not a delivery status notification. `contentType`
 * is the message's parsed top-level type (value and parameters).
 */
export function parseDeliveryReport(
  raw: string,
  contentType: { value: string; params: Record<string, string> } | undefined,
): DeliveryReport | undefined {
  if (contentType?.value.toLowerCase() !== 'multipart/report') return undefined;
  if ((contentType.params['report-type'] ?? '').toLowerCase() !== 'delivery-status') return undefined;
  const boundary = contentType.params.boundary;
  if (!boundary) return undefined;
  const parts = raw.split(`--${boundary}`).slice(1);
  const recipients: RecipientStatus[] = [];
  let originalMessageId: string | null = null;
  for (const part of parts) {
    if (part.startsWith('--')) break;
    const [head, body] = splitHead(part.replace(/^\r?\n/, ''));
    const headers = fieldsOf(head);
    const type = (headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    const text = decode(body, headers.get('content-transfer-encoding'));
    if (type === 'message/delivery-status' || type === 'message/global-delivery-status') {
      // the per-message block first, then one block per recipient
      for (const block of text.split(/\r?\n\s*\r?\n/).slice(1)) {
        const f = fieldsOf(block);
        const address = addressOf(f.get('final-recipient')) ?? addressOf(f.get('original-recipient'));
        const action = f.get('action')?.toLowerCase();
        if (!address || !action) continue;
        recipients.push({
          address,
          action,
          status:
            /\d\.\d{1,3}\.\d{1,3}/.exec(f.get('status') ?? '')?.[0] ??
            (action === 'failed' ? '5.0.0' : '4.0.0'),
          diagnostic: f.get('diagnostic-code')?.slice(0, 500) ?? null,
        });
      }
    } else if (type === 'message/rfc822' || type === 'text/rfc822-headers') {
      const id = fieldsOf(splitHead(text)[0]).get('message-id');
      if (id) originalMessageId = id.replace(/^<|>$/g, '').trim() || null;
    }
  }
  return { recipients, originalMessageId };
}
