import { execFileSync } from 'node:child_process';
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

  it('bundles isomorphic-git from its ES module build, which tree-shakes, and it still reads and writes objects', async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tidemark-bundle-')), 'index.mjs');
    const result = await build({
      ...esbuildOptions(join(projectRoot, 'infra/fixtures/git-objects.ts'), outfile, false),
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs).filter((p) => p.includes('node_modules/isomorphic-git/'));
    expect(inputs).toEqual(['node_modules/isomorphic-git/index.js']);
    // Three commands of about eighty: the CommonJS build would be 160 KB whatever was imported.
    expect(
      result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.inputs[inputs[0]!]!.bytesInOutput,
    ).toBeLessThan(80_000);
    const { roundTrip } = await import(pathToFileURL(outfile).href);
    expect(await roundTrip(mkdtempSync(join(tmpdir(), 'tidemark-git-')), 'kind: ConfigMap\n')).toBe(
      'kind: ConfigMap\n',
    );
  });

  it("hashes isomorphic-git's objects and packs with Node's SHA-1 instead of sha.js, and git accepts the pack", async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tidemark-bundle-')), 'index.mjs');
    const result = await build({
      ...esbuildOptions(join(projectRoot, 'infra/fixtures/git-objects.ts'), outfile, false),
      metafile: true,
    });
    expect(Object.keys(result.metafile.inputs).filter((p) => p.includes('node_modules/sha.js/'))).toEqual([]);
    const { packOf } = await import(pathToFileURL(outfile).href);
    // What a push sends: git itself checks the pack's SHA-1 trailer and the id of every object in it.
    const pack: string = await packOf(mkdtempSync(join(tmpdir(), 'tidemark-git-')), ['a: 1\n', 'b: 2\n']);
    execFileSync('git', ['index-pack', pack]); // refuses a pack whose trailer is not its SHA-1
    const verified = execFileSync('git', ['verify-pack', '-v', pack], { encoding: 'utf8' });
    expect(verified).toContain(
      execFileSync('git', ['hash-object', '--stdin'], { input: 'a: 1\n', encoding: 'utf8' }).trim(),
    );
  });

  it("keeps zod's English messages for schemas written with zod/mini, which registers none of its own", async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tidemark-bundle-')), 'index.mjs');
    await build(esbuildOptions(join(projectRoot, 'infra/fixtures/config-messages.ts'), outfile, false));
    const { messageFor } = await import(pathToFileURL(outfile).href);
    const config = {
      configRepo: { provider: 'git', url: 'https://git.example.com/config.git', authSecretName: '' },
      clusters: [{ name: 'dev', eksClusterName: 'dev', region: 'us-east-1', path: 'clusters/dev' }],
      images: { ecrRepositories: ['web'] },
    };
    expect(messageFor(config)).toBe(
      'configRepo.authSecretName: Too small: expected string to have >=1 characters. See the annotated tidemark.config.yaml for the expected shape',
    );
  });
});
