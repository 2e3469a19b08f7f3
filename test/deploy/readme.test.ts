/**
 * The README as GitHub-flavoured Markdown renders it (marked, in GFM mode): every `## ` line is a
 * heading — a fence opened with four backticks and closed with three swallows the rest of the file,
 * which this catches — its links lead to files of the repository (not to ../shared, absent from a
 * clone), the two fresh-machine commands are there and match package.json, and the configuration table
 * names the variables an operator must know, every secret any service declares among them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SERVICES, serviceUrlVariable } from '@geminis/contracts';
import { secretNames, sharedServiceConfig } from '@geminis/service-kit';
import { Lexer, type Token, type Tokens } from 'marked';
import { SERVICE_ENTRIES } from '../../scripts/services';
import { gatewayConfigShape } from '../../services/gateway/src/config';

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

const lex = (markdown: string) => new Lexer({ gfm: true }).lex(markdown);

/** `## ` lines of the source that do not render as level-2 headings. */
function unrenderedHeadings(markdown: string): string[] {
  const rendered = new Set(
    lex(markdown)
      .filter((t): t is Tokens.Heading => t.type === 'heading' && t.depth === 2)
      .map((t) => t.text),
  );
  return markdown
    .split('\n')
    .filter((line) => /^## /.test(line))
    .map((line) => line.slice(3).trim())
    .filter((heading) => !rendered.has(heading));
}

function walk(tokens: Token[], visit: (t: Token) => void): void {
  for (const token of tokens) {
    visit(token);
    const nested = token as {
      tokens?: Token[];
      items?: Token[];
      header?: Array<{ tokens: Token[] }>;
      rows?: Array<Array<{ tokens: Token[] }>>;
    };
    if (nested.tokens) walk(nested.tokens, visit);
    if (nested.items) walk(nested.items, visit);
    for (const cell of nested.header ?? []) walk(cell.tokens, visit);
    for (const row of nested.rows ?? []) for (const cell of row) walk(cell.tokens, visit);
  }
}

it('renders every ## line as a heading, and has the sections an operator looks for', () => {
  expect(unrenderedHeadings(README)).toEqual([]);
  const headings = lex(README)
    .filter((t): t is Tokens.Heading => t.type === 'heading' && t.depth === 2)
    .map((t) => t.text);
  expect(headings).toEqual(
    expect.arrayContaining([
      'Two commands on a fresh machine',
      'Architecture',
      'What runs today',
      'Deploying',
      'Configuration',
    ]),
  );
});

it('a fence opened with four backticks and closed with three is caught', () => {
  const broken = README.replace('```sh\n', '````sh\n');
  expect(broken).not.toBe(README);
  expect(unrenderedHeadings(broken).length).toBeGreaterThan(0);
});

it('links only to files that exist in the repository, and never to ../shared', () => {
  const hrefs: string[] = [];
  walk(lex(README), (t) => {
    if (t.type === 'link') hrefs.push((t as Tokens.Link).href);
  });
  expect(README).not.toMatch(/\.\.\/shared/);
  for (const href of hrefs.filter((h) => !/^(https?:|mailto:|#)/.test(h))) {
    expect({ href, exists: existsSync(join(ROOT, href.split('#')[0]!)) }).toEqual({ href, exists: true });
  }
});

it('keeps the two fresh-machine commands, and package.json runs them', () => {
  const code = lex(README)
    .filter((t): t is Tokens.Code => t.type === 'code')
    .map((t) => t.text)
    .join('\n');
  expect(code).toContain('npm ci && npm start');
  expect(code).toContain('npm ci && npm test');
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(scripts.start).toBeDefined();
  expect(scripts.test).toBeDefined();
  expect(scripts['bootstrap:admin']).toBeDefined();
});

it('documents the variables an operator must set, every declared secret among them', async () => {
  const tokens = lex(README);
  const start = tokens.findIndex(
    (t) => t.type === 'heading' && (t as Tokens.Heading).text === 'Configuration',
  );
  expect(start).toBeGreaterThan(-1);
  const documented = new Set<string>();
  walk(tokens.slice(start), (t) => {
    if (t.type === 'codespan') documented.add((t as Tokens.Codespan).text);
  });
  const required = [
    'HOST',
    'PORT',
    'PLATFORM_HOSTS',
    'CORS_ORIGINS',
    'REDIS_URL',
    'DATABASE_URL',
    'AMQP_URL',
    'OTEL_TRACES_EXPORTER',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'CATALOG_DEFAULT_CURRENCY',
    'BOOTSTRAP_ADMIN_EMAIL',
    'BOOTSTRAP_ADMIN_PASSWORD',
    ...SERVICES.map((s) => serviceUrlVariable(s.name)),
    ...secretNames(gatewayConfigShape),
  ];
  for (const s of SERVICES) {
    const entry = await SERVICE_ENTRIES[s.name]!();
    required.push(...secretNames({ ...sharedServiceConfig, ...entry.config }));
  }
  const missing = [...new Set(required)].filter((v) => !documented.has(v));
  expect(missing).toEqual([]);
});
