/**
 * Writes schema/safe-updater.schema.json from the zod schema in src/config/schema.ts.
 * `--check` writes nothing and fails when the file in the repository is stale (CI runs it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'schema', 'safe-updater.schema.json');

/** The JSON Schema text, formatted as prettier formats the repository. */
export async function renderSchema(): Promise<string> {
  const schema = {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: 'https://safe-updater.dev/schema/safe-updater.schema.json',
  };
  const options = (await prettier.resolveConfig(target)) ?? {};
  return prettier.format(JSON.stringify(schema), { ...options, parser: 'json' });
}

const check = process.argv.includes('--check');
const fresh = await renderSchema();
const name = relative(root, target);
if (check) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== fresh) {
    console.error(`${name} is stale: run \`npm run schema:generate\` and commit it`);
    process.exitCode = 1;
  } else {
    console.log(`${name} is up to date`);
  }
} else {
  await writeFile(target, fresh);
  console.log(`wrote ${name}`);
}
