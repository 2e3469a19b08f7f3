/**
 * The type of a file from its first bytes (what the uploader claims is ignored), over an allow-list:
 * images, PDF and plain UTF-8 text. Anything else — executables, archives, HTML, SVG (scriptable) — is
 * refused.
 */
export type AllowedType =
  'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'application/pdf' | 'text/plain';

const startsWith = (b: Buffer, bytes: number[], offset = 0) =>
  b.length >= offset + bytes.length && bytes.every((x, i) => b[offset + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export function sniffType(b: Buffer): AllowedType | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(b, ascii('%PDF-'))) return 'application/pdf';
  if (isPlainText(b)) return 'text/plain';
  return undefined;
}

/** Valid UTF-8 with no NUL and no control characters but tab, newline, carriage return and form feed; not markup. */
function isPlainText(b: Buffer): boolean {
  if (b.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text)) return false;
  // a browser would render these as documents: not plain text
  if (/^\s*<(!doctype|html|svg|\?xml|script)/i.test(text)) return false;
  return true;
}
