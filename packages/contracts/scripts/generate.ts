import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles } from '../src/asyncapi';

const root = join(__dirname, '..');
rmSync(join(root, 'generated', 'schemas'), { recursive: true, force: true });
for (const [path, text] of Object.entries(generatedFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
console.log(
  `wrote generated/asyncapi.json and ${readdirSync(join(root, 'generated', 'schemas')).length} schemas`,
);
