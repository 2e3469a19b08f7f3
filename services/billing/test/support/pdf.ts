import { inflateSync } from 'node:zlib';

/**
 * The text a PDF shows, line by line, as pdfkit writes it with its standard fonts: each content stream
 * (inflated when compressed) has `[<hex> kerning <hex> …] TJ` per line of text, the hex being the
 * WinAnsi bytes. Enough to check what an invoice prints without a PDF parser dependency.
 */
export function pdfText(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  const streams = /<<([^]*?)>>\s*stream\r?\n/g;
  for (let m = streams.exec(raw); m; m = streams.exec(raw)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    let body = pdf.subarray(start, end);
    if (/\/FlateDecode/.test(m[1]!)) {
      try {
        body = inflateSync(body);
      } catch {
        continue; // not a content stream we can read (fonts and images are not text)
      }
    }
    const content = body.toString('latin1');
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const hex = [...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('');
      lines.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return lines;
}
