import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from './function-code';
import { projectRoot } from './tidemark-function';

describe('function bundling', () => {
  it("leaves zod's other languages out and keeps its English messages", async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tidemark-bundle-')), 'index.mjs');
    await build(esbuildOptions(join(projectRoot, 'infra/fixtures/zod-messages.ts'), outfile, false));
    const bundle = readFileSync(outfile, 'utf8');
    // German, from zod's `de` locale: present in any bundle that keeps the locale index.
    expect(bundle).not.toContain('Ungültige Eingabe');
    const { message } = await import(pathToFileURL(outfile).href);
    expect(message).toBe('Invalid input: expected string, received number');
  });

  it('leaves out a lazily imported Kubernetes client, which a function never reaches', async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tidemark-bundle-')), 'index.mjs');
    await build(esbuildOptions(join(projectRoot, 'infra/fixtures/kube-imports.ts'), outfile, false));
    const bundle = readFileSync(outfile, 'utf8');
    expect(bundle).toContain('import("@kubernetes/client-node")');
    expect(bundle.length).toBeLessThan(10_000);
  });
});
