#!/usr/bin/env node
// The `tidemark` command. Plain JavaScript so that any Node can start it: on a Node older than 24 it re-runs itself
// with Node 24 (installed into the cache by local/node24), then loads the TypeScript entry point through tsx.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (Number(process.versions.node.split('.')[0]) < 24) {
  const r = spawnSync(join(here, '..', 'local', 'node24'), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
const { register } = await import('tsx/esm/api');
register();
await import('./main.ts');
