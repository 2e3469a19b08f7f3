/**
 * `npm run build [-- <outDir>]`: the production runtime, compiled. Every workspace (packages/* and
 * services/*) is transpiled file by file with swc (the same transform jest uses; `npm run typecheck`
 * checks the types) into `<outDir>` (default `dist/`), laid out like the repository:
 *
 *   dist/package.json, dist/package-lock.json          the root manifest and lock, unchanged
 *   dist/packages/<name>/package.json                  "main" pointing at compiled JavaScript
 *   dist/packages/<name>/src/**.js, …/**.sql           code and the migrations read at run time
 *   dist/services/<name>/src/main.js                   what `node` starts in production
 *
 * so `npm ci --omit=dev` in that folder (the image's runtime stage) links the workspaces to their
 * compiled code and production processes start with `node services/<name>/src/main.js`. Tests, test
 * helpers and generators are left out.
 */
import { transformFile, type Options } from '@swc/core';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

const SWC: Options = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2023', externalHelpers: false },
  module: { type: 'commonjs' },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};

/** Sources of a workspace that never run in production. */
const isExcluded = (rel: string): boolean =>
  /\.test\.ts$/.test(rel) ||
  /\.d\.ts$/.test(rel) ||
  rel.split('/').includes('testing') ||
  rel.includes('/test/');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** A workspace's package.json with "main" (and "types") pointing at the compiled entry. */
function compiledManifest(source: string): string {
  const manifest = JSON.parse(readFileSync(source, 'utf8')) as Record<string, unknown>;
  const toJs = (p: unknown) => (typeof p === 'string' ? p.replace(/\.ts$/, '.js') : p);
  if (manifest.main) manifest.main = toJs(manifest.main);
  delete manifest.types;
  if (manifest.exports && typeof manifest.exports === 'object') {
    manifest.exports = JSON.parse(JSON.stringify(manifest.exports).replace(/\.ts"/g, '.js"'));
  }
  return JSON.stringify(manifest, null, 2) + '\n';
}

async function compile(source: string, target: string): Promise<void> {
  const { code, map } = await transformFile(source, { ...SWC, filename: source });
  mkdirSync(dirname(target), { recursive: true });
  const mapName = `${target.split('/').pop()!}.map`;
  writeFileSync(target, `${code}\n//# sourceMappingURL=${mapName}\n`);
  if (map) writeFileSync(`${target}.map`, map);
}

export async function build(outDir: string): Promise<{ outDir: string; files: number }> {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(out, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(out, 'package-lock.json'));
  let files = 0;
  const jobs: Array<Promise<void>> = [];
  for (const group of ['packages', 'services']) {
    for (const name of readdirSync(join(ROOT, group))) {
      const ws = join(ROOT, group, name);
      if (!statSync(join(ws, 'package.json'), { throwIfNoEntry: false })) continue;
      mkdirSync(join(out, group, name), { recursive: true });
      writeFileSync(join(out, group, name, 'package.json'), compiledManifest(join(ws, 'package.json')));
      // src/ and any top-level .ts entry (service-kit's `launch.ts` behind `@geminis/service-kit/launch`).
      const sources = [
        ...walk(join(ws, 'src')),
        ...readdirSync(ws)
          .filter((f) => f.endsWith('.ts'))
          .map((f) => join(ws, f)),
      ];
      for (const source of sources) {
        const rel = relative(ws, source);
        if (isExcluded(`/${rel}`)) continue;
        const target = join(out, group, name, rel);
        files += 1;
        if (source.endsWith('.ts')) jobs.push(compile(source, target.replace(/\.ts$/, '.js')));
        else {
          mkdirSync(dirname(target), { recursive: true });
          copyFileSync(source, target);
        }
      }
    }
  }
  await Promise.all(jobs);
  return { outDir: out, files };
}

if (require.main === module) {
  const outDir = process.argv[2] ?? join(ROOT, 'dist');
  build(outDir).then(
    ({ outDir: dir, files }) => process.stdout.write(`built ${files} files into ${dir}\n`),
    (err: unknown) => {
      process.stderr.write(`build failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
